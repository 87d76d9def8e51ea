"""Running one CSV import through the service as a user would, with a spy on the SQL path's entry point: the job
and what the SQL path returned (None: the Python path ran, or the SQL path handed the file over)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import ColumnMapping, CrmImport
from crm.services import crm_import_create, crm_import_run


def run_import(
    module,
    entry: str,
    *,
    company,
    actor,
    monkeypatch,
    capture,
    content: str,
    kind: str,
    mapping: ColumnMapping | None,
    date_order: str = "",
    python: bool = False,
    name: str = "f.csv",
):
    """Import ``content`` as ``kind`` (the HubSpot preset without ``mapping``); ``module.entry`` is the SQL path's
    function (spied on); ``python`` switches the SQL path off (``module.KINDS`` emptied)."""
    outcomes = []
    real = getattr(module, entry)

    def spy(*args, **kwargs):
        outcome = real(*args, **kwargs)
        outcomes.append(outcome)
        return outcome

    with monkeypatch.context() as patch:
        patch.setattr(module, entry, spy)
        if python:
            patch.setattr(module, "KINDS", set())
        with capture(execute=True):
            upload = SimpleUploadedFile(name, content.encode())
            job = crm_import_create(company=company, kind=kind, source="custom" if mapping else "hubspot",
                                    mapping=mapping, uploaded_file=upload, actor=actor, schedule=False)  # fmt: skip
            CrmImport.objects.filter(pk=job.pk).update(date_order=date_order)
            job = crm_import_run(import_id=job.pk)
    return job, (outcomes[0] if outcomes else None)
