"""manage.py import_company <file.json>: restore a company exported by export_company (see companies/backup.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from companies.backup import company_import


class Command(BaseCommand):
    help = "Restore a company from an export_company JSON file; refuses a slug that exists. All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as source:
                company, counts = company_import(source=source)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        rows = sum(counts.values())
        self.stdout.write(f"Imported company {company.slug} ({company.name}): {rows} rows.")
