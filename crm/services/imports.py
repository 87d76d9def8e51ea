"""CSV/XLSX imports of CRM data: upload (a draft for the wizard), confirmation, the run in a Celery task, progress,
discarding and purging unconfirmed drafts.

A file is all-or-nothing, and a second identical import changes nothing (upserts on company and external id).
There are two paths for a file:

- **SQL path** (PostgreSQL): :mod:`crm.services.imports_pg` (leads; opportunities and touchpoints:
  :mod:`crm.services.imports_pg_related`) streams the file through COPY
  into a temporary table, converts and checks every row in set-based SQL and writes with one
  ``INSERT ... ON CONFLICT DO UPDATE``, all in one transaction; only values in no usual form go through the Python
  parsers. A file COPY cannot read (broken quoting, rows of another width, empty lines) falls back to:
- **Python path** (SQLite, and the fallback): a first streamed pass parses and
  validates every row with :func:`crm.reader.parse_record`, a second pass writes inside one transaction through
  :func:`crm.services.records._upsert_batch` (``bulk_create(update_conflicts=True)``), as the bulk API does. It is
  the reference: parity tests on PostgreSQL (tests/crm/test_crm_import_pg.py, test_crm_import_pg_related.py) hold
  both paths to the same rows and errors.

This module takes uploads and drafts (upload, wizard confirmation, discarding, purging); :mod:`crm.services.import_run`
runs a confirmed import and reports its progress.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core import tabular
from core.errors import DomainError

from .. import reader
from ..models import ColumnMapping, CrmImport, CrmKind
from ..reader import FileUnreadable
from ..wizard import build_preview
from .import_run import PROGRESS_EVERY as PROGRESS_EVERY  # re-exported: the run moved to import_run
from .import_run import STALE_CLAIM as STALE_CLAIM
from .import_run import crm_import_progress as crm_import_progress
from .import_run import crm_import_run as crm_import_run

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def crm_import_max_bytes() -> int:
    """Largest accepted CSV upload (setting ``CRM_IMPORT_MAX_BYTES``, default 200 MB)."""
    return int(getattr(settings, "CRM_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --------------------------------------------------------------------------------------------------------- imports


AUTO_SOURCE = "auto"


def _converted_upload(uploaded_file):
    """An .xlsx upload becomes the CSV every reader takes (core.tabular.xlsx_to_csv); a CSV stays as it is."""
    name = uploaded_file.name or "import.csv"
    if not name.lower().endswith(".xlsx"):
        return uploaded_file, name
    # Closed by the caller's File once stored (and by the garbage collector on an error): it outlives this function.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        tabular.xlsx_to_csv(uploaded_file, out, max_unpacked=crm_import_max_bytes() * 4)
    except tabular.TabularError as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    out.seek(0)
    return File(out, name=name[:-5] + ".csv"), name


def _from_header_row(upload, kind: str) -> tuple[object, int]:
    """The file from its header row on, and that row's number in the file: Salesforce's formatted reports have the
    report's name and filters above the table (crm.reader.header_row). A file whose header is its first row, and
    one that cannot be read (the import names the reason), stay as they are."""
    try:
        encoding = tabular.detect_encoding(upload)
        first = reader.header_row(tabular.iter_csv(upload, encoding), kind)
    except (FileUnreadable, UnicodeDecodeError):
        first = 1
    upload.seek(0)
    if first == 1:
        return upload, 1
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed with the caller's File)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    for number, cells in tabular.iter_csv(upload, encoding):
        if number >= first:
            writer.writerow(cells)
    text.flush()
    text.detach()
    out.seek(0)
    return File(out, name=upload.name), first


def _file_header(upload) -> list[str]:
    try:
        encoding = tabular.detect_encoding(upload)
    except FileUnreadable as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    found = tabular.csv_header(upload, encoding)
    upload.seek(0)
    return found[0] if found else []


def _detected(company, kind: str, header: list[str]) -> tuple[str, ColumnMapping | None]:
    """The CRM a file comes from, by its header: a preset that finds the required columns, else a mapping the
    wizard kept for another CRM whose columns are all in the file, else "custom" without one."""
    source = reader.detect_source(kind, header)
    if source:
        return source, None
    keys = {tabular.loose_header_key(h) for h in header}
    for mapping in ColumnMapping.objects.filter(company=company, kind=kind).order_by("-updated_at"):
        if mapping.columns and all(tabular.loose_header_key(h) in keys for h in mapping.columns.values()):
            return CrmImport.Source.CUSTOM, mapping
    return CrmImport.Source.CUSTOM, None


@transaction.atomic
def crm_import_create(
    *,
    company,
    kind: str,
    source: str,
    uploaded_file,
    actor,
    mapping: ColumnMapping | None = None,
    schedule=True,
    draft=False,
) -> CrmImport:
    """Accept an uploaded CSV (or .xlsx, kept as CSV) and schedule its import (after commit; ``schedule=False``
    when the caller runs it itself). With ``draft=True`` nothing is scheduled: the import waits for the wizard's
    confirmation (:func:`crm_import_confirm`), and ``source="auto"`` detects the CRM from the header. Refuses
    files above the size limit, empty files and (outside the wizard) a custom source without a mapping of this
    company and kind."""
    require_actor(actor, company, Action.CRM_IMPORT)
    errors: dict[str, list[str]] = {}
    if kind not in CrmKind.values:
        errors["kind"] = [_("Choose leads, opportunities or touchpoints.")]
    auto = draft and source == AUTO_SOURCE
    if auto:
        pass
    elif source not in CrmImport.Source.values:
        errors["source"] = [_("Choose HubSpot, Salesforce or a saved mapping.")]
    elif source == CrmImport.Source.CUSTOM:
        if mapping is None or mapping.company_id != company.pk:
            if not draft or mapping is not None:
                errors["mapping"] = [_("Choose a saved column mapping.")]
        elif mapping.kind != kind:
            errors["mapping"] = [_("This mapping is for %(kind)s.") % {"kind": CrmKind(mapping.kind).label}]
    elif kind in CrmKind.values and reader.preset_mapping(source, kind) is None and not draft:
        errors["kind"] = [_("This CRM export has no preset for this kind; use a saved mapping.")]
    if uploaded_file is None:
        errors["file"] = [_("Choose a CSV file.")]
    else:
        size = uploaded_file.size or 0
        limit = crm_import_max_bytes()
        if size == 0:
            errors["file"] = [_("The file is empty.")]
        elif size > limit:
            errors["file"] = [
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": round(size / 1048576, 1), "limit": limit // 1048576}
            ]
    if errors:
        raise ValidationError(errors)
    upload, original_name = _converted_upload(uploaded_file)
    header_row = 1
    if kind in CrmKind.values:
        upload, header_row = _from_header_row(upload, kind)
    if auto:
        source, found = _detected(company, kind, _file_header(upload))
        mapping = mapping or found
    job = CrmImport(
        company=company,
        kind=kind,
        source=source,
        mapping=mapping if source == CrmImport.Source.CUSTOM else None,
        original_name=original_name[-255:],
        header_row=header_row,
        size=upload.size,
        status=CrmImport.Status.DRAFT if draft else CrmImport.Status.PENDING,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    job.file.save(upload.name or "import.csv", upload, save=False)
    job.save()

    if schedule and not draft:
        _schedule(job)
    return job


def _schedule(job: CrmImport) -> None:
    from ..tasks import crm_import_run as task  # tasks.py imports this module: a cycle at module level

    transaction.on_commit(lambda: task.delay(job.pk))


def _wizard_mapping_name(source: str, kind: str) -> str:
    return f"{CrmImport.Source(source).label} · {CrmKind(kind).label}"[:120]


@transaction.atomic
def crm_import_confirm(*, job: CrmImport, columns: dict[str, str], date_order: str, actor) -> CrmImport:
    """The wizard's confirmation: check the columns against the file (every required field mapped, a column for
    one field only, an order for ambiguous dates), keep them on the import and as the company's mapping for the
    next file from this CRM, and schedule the import. Nothing is written to the CRM data before the task runs,
    and a rejected file writes nothing then either."""
    require_actor(actor, job.company, Action.CRM_IMPORT)
    job = CrmImport.objects.select_for_update().get(pk=job.pk, company=job.company)
    if job.status != CrmImport.Status.DRAFT:
        raise DomainError(_("This import was confirmed already."), field="non_field_errors")
    preview = build_preview(job=job, columns=columns, date_order=date_order)
    if preview.errors:
        raise ValidationError({"columns": preview.errors})
    job.columns = dict(columns)
    # The order the person chose, else the one the file's dates decide (kept so the import reads them so).
    job.date_order = preview.date_order or (preview.date_scan if preview.date_scan in reader.DateOrder.CHOICES else "")
    job.status = CrmImport.Status.PENDING
    job.full_clean(exclude=["file", "mapping", "created_by"])
    job.save(update_fields=["columns", "date_order", "status"])
    _remember_mapping(job, columns, actor)
    _schedule(job)
    return job


def _remember_mapping(job: CrmImport, columns: dict[str, str], actor) -> None:
    """The confirmed columns become the mapping for the next file: the saved mapping the import used, else the one
    the wizard keeps per CRM and kind."""
    if job.mapping_id:
        ColumnMapping.objects.filter(pk=job.mapping_id, company=job.company).update(
            columns=dict(columns), updated_at=timezone.now()
        )
        return
    kept = ColumnMapping.objects.select_for_update().filter(company=job.company, source=job.source, kind=job.kind)
    mapping = kept.first()
    if mapping is None:
        name = _wizard_mapping_name(job.source, job.kind)
        if ColumnMapping.objects.filter(company=job.company, name=name).exists():
            name = f"{name} ({job.source})"[:120]
        mapping = ColumnMapping(company=job.company, source=job.source, kind=job.kind, name=name,
                                created_by=actor if getattr(actor, "pk", None) else None)  # fmt: skip
    mapping.columns = dict(columns)
    mapping.full_clean(exclude=["created_by"])
    mapping.save()


DRAFT_KEPT = dt.timedelta(days=7)


def crm_import_drafts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete uploads that waited for the wizard's confirmation longer than DRAFT_KEPT, with their files (an upload
    holds personal data; nobody asked to import it). Returns how many were dropped."""
    cutoff = (now or timezone.now()) - DRAFT_KEPT
    dropped = 0
    for job in CrmImport.objects.filter(status=CrmImport.Status.DRAFT, created_at__lt=cutoff).iterator():
        # The row first, and only if it is still a draft: a confirmation between the read and here wins and keeps
        # its file.
        if not CrmImport.objects.filter(pk=job.pk, status=CrmImport.Status.DRAFT).delete()[0]:
            continue
        dropped += 1
        if job.file:
            try:
                job.file.delete(save=False)
            except OSError:  # already gone
                logger.warning("CRM import draft %s: file %s was already deleted", job.pk, job.file.name)
    return dropped


@transaction.atomic
def crm_import_discard(*, job: CrmImport, actor) -> None:
    """Drop an import the wizard has not confirmed (and its file)."""
    require_actor(actor, job.company, Action.CRM_IMPORT)
    job = CrmImport.objects.select_for_update().filter(pk=job.pk, company=job.company).first()
    if job is None or job.status != CrmImport.Status.DRAFT:
        raise DomainError(_("Only an import that waits for confirmation can be discarded."), field="non_field_errors")
    if job.file:
        job.file.delete(save=False)
    job.delete()
