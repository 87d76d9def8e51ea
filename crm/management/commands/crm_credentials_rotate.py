"""Re-encrypt the stored CRM credentials with the first key of CRM_CREDENTIALS_KEYS (after putting a new key first;
the old key can be dropped once this ran)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.connectors import ConnectorError
from crm.services import crm_credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored CRM credential with the newest key of CRM_CREDENTIALS_KEYS."

    def handle(self, *args, **options):
        try:
            count = crm_credentials_rotate()
        except ConnectorError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{count} connection(s) re-encrypted.")
