"""Import objectives and key results from an .xlsx or .csv file (export format) into a cycle in planning."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from objectives.services import cascade_io

from .cascade_export import resolve_company, resolve_cycle


class Command(BaseCommand):
    help = "Import a cascade file into a cycle in planning. Validates every row first; on any error nothing changes."

    def add_arguments(self, parser):
        parser.add_argument("company", help="company slug")
        parser.add_argument("file", help=".xlsx or .csv file in the export format")
        parser.add_argument("--cycle", required=True, help="cycle id or name (must be in planning)")

    def handle(self, *args, **options):
        company = resolve_company(options["company"])
        cycle = resolve_cycle(company, options["cycle"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                result = cascade_io.cascade_import(
                    company=company, cycle=cycle, file=handle, filename=path.name, actor=None
                )
        except ValidationError as exc:
            raise CommandError("Nothing was imported:\n" + "\n".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.objectives} objectives and {result.key_results} key results into {cycle.name}."
            )
        )
