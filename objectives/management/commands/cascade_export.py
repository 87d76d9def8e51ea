"""Export a cycle's cascade as XLSX or CSV (the same format the import reads)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from core.safety import parse_id
from objectives.models import Cycle
from objectives.selectors.cascade import cycle_default
from objectives.services import cascade_io


def resolve_cycle(company: Company, value: str | None) -> Cycle:
    if value is None:
        cycle = cycle_default(company=company)
    elif parse_id(value):
        cycle = Cycle.objects.filter(company=company, pk=parse_id(value)).first()
    else:
        cycle = Cycle.objects.filter(company=company, name=value).first()
    if cycle is None:
        raise CommandError(f"No cycle {value!r} in {company.slug}.")
    return cycle


def resolve_company(slug: str) -> Company:
    company = Company.objects.filter(slug=slug).first()
    if company is None:
        raise CommandError(f"No company with slug {slug!r}.")
    return company


class Command(BaseCommand):
    help = "Export the cascade of a cycle (default: the current one) as .xlsx or .csv."

    def add_arguments(self, parser):
        parser.add_argument("company", help="company slug")
        parser.add_argument("--cycle", help="cycle id or name (default: the current cycle)")
        parser.add_argument("--output", "-o", help="file to write; .xlsx or .csv (default: CSV on stdout)")

    def handle(self, *args, **options):
        company = resolve_company(options["company"])
        cycle = resolve_cycle(company, options["cycle"])
        output = options["output"]
        if not output:
            self.stdout.write(cascade_io.cascade_export_csv(company=company, cycle=cycle).lstrip("\ufeff"), ending="")
            return
        path = Path(output)
        if path.suffix.lower() == ".xlsx":
            path.write_bytes(cascade_io.cascade_export_xlsx(company=company, cycle=cycle))
        elif path.suffix.lower() == ".csv":
            path.write_text(cascade_io.cascade_export_csv(company=company, cycle=cycle), "utf-8")
        else:
            raise CommandError("The output file must end in .xlsx or .csv.")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({cycle.name})."))
