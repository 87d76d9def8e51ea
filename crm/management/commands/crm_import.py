"""Import a CRM CSV export from the command line (for files too large for a browser upload, or scripted syncs)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from crm.models import ColumnMapping, CrmImport, CrmKind
from crm.services import crm_import_create, crm_import_run


class Command(BaseCommand):
    help = "Import a HubSpot, Salesforce or mapped CSV export for a company; all or nothing, like the import page."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--kind", required=True, choices=CrmKind.values)
        parser.add_argument("--source", required=True, choices=CrmImport.Source.values)
        parser.add_argument("--mapping", help="name of a saved column mapping (with --source custom)")

    def handle(self, *args, path, company, kind, source, mapping=None, **options):
        target = Company.objects.filter(slug=company).first()
        if target is None:
            raise CommandError(f"No company with slug {company!r}.")
        saved = None
        if mapping:
            saved = ColumnMapping.objects.filter(company=target, name=mapping).first()
            if saved is None:
                raise CommandError(f"No column mapping {mapping!r} in {company!r}.")
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"No file at {path}.")
        with file_path.open("rb") as handle:
            upload = File(handle, name=file_path.name)
            upload.size = file_path.stat().st_size
            try:
                # actor None: an operator at the console acts as the system (see companies.permissions.require_actor)
                job = crm_import_create(
                    company=target,
                    kind=kind,
                    source=source,
                    mapping=saved,
                    uploaded_file=upload,
                    actor=None,
                    schedule=False,  # run here, in this process, not by a worker
                )
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        job = crm_import_run(import_id=job.pk)
        if job.status != CrmImport.Status.DONE:
            for item in job.errors:
                self.stderr.write(f"row {item['row'] or '-'} column {item['column'] or '-'}: {item['message']}")
            raise CommandError(f"Rejected: {job.error_count} error(s); nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {job.rows_done} rows ({job.rows_created} new, {job.rows_unchanged} unchanged) "
                f"from {file_path.name}."
            )
        )
