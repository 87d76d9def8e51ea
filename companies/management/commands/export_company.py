"""manage.py export_company <slug> [--output file.json]: the whole company as one JSON file (companies/backup.py)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from companies.backup import company_export
from companies.models import Company


class Command(BaseCommand):
    help = "Write a whole company (members, cascade, initiatives, budgets, funnel data, snapshots) to one JSON file."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")

    def handle(self, *args, slug: str, output: str | None = None, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company with the slug {slug!r}.")
        if output:
            with open(output, "w", encoding="utf-8") as out:
                counts = company_export(company=company, out=out)
        else:
            counts = company_export(company=company, out=self.stdout)
        summary = ", ".join(f"{label}: {count}" for label, count in counts.items() if count)
        sys.stderr.write(f"Exported {company.slug}: {summary}\n")
