from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from budgets import imports
from companies.models import Company


class Command(BaseCommand):
    help = "Import actual spend from a CSV file (all-or-nothing; errors name row and column)."

    def add_arguments(self, parser):
        parser.add_argument("company", help="company slug")
        parser.add_argument("path", type=Path)
        parser.add_argument("--as", dest="username", help="acting user (default: the system)")

    def handle(self, *args, company, path, username=None, **options):
        company_obj = Company.objects.filter(slug=company).first()
        if company_obj is None:
            raise CommandError(f"No company {company!r}.")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user {username!r}.")
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        with path.open("rb") as handle:
            try:
                count = imports.spend_import_csv(company=company_obj, upload=handle, actor=actor)
            except imports.ImportFailed as exc:
                raise CommandError("Nothing imported:\n" + "\n".join(exc.rows)) from exc
        self.stdout.write(self.style.SUCCESS(f"{count} spend entries imported."))
