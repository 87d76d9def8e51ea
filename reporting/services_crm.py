"""State changes of the CRM funnel data: CSV imports (create, run), saved column mappings, the bulk upsert of the
API, reporting settings and KPI bindings.

A file or payload is all-or-nothing, and a second identical import changes nothing (upserts on company and
external id). There are two paths for a CSV file:

- **SQL path** (PostgreSQL, leads — the large files): :mod:`reporting.crm_import_pg` streams the file through COPY
  into a temporary table, converts and checks every row in set-based SQL and writes with one
  ``INSERT ... ON CONFLICT DO UPDATE``, all in one transaction; only values in no usual form go through the Python
  parsers. A file COPY cannot read (broken quoting, rows of another width, empty lines) falls back to:
- **Python path** (SQLite, opportunities and touchpoints, and the fallback): a first streamed pass parses and
  validates every row with :func:`reporting.crm_import.parse_record`, a second pass writes inside one transaction
  through :func:`_upsert_batch` (``bulk_create(update_conflicts=True)``). It is the reference: a parity test on
  PostgreSQL (tests/reporting/test_crm_import_pg.py) holds both paths to the same rows and errors.

The bulk API goes through :func:`_upsert_batch` too.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core import tabular
from core.errors import DomainError, NotFound

from . import crm_import as reader
from . import crm_import_pg
from .crm_import import (
    BATCH_SIZE,
    MAX_STORED_ERRORS,
    FileUnreadable,
    ImportRejected,
    ParseContext,
    error,
    field_specs,
    parse_record,
)
from .kpis import KPIS, reporting_settings
from .models import ColumnMapping, CrmImport, CrmKind, KpiBinding, Lead, Opportunity, ReportingSettings, Touchpoint

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_API_ITEMS = 5000
PROGRESS_EVERY = 1000
STALE_CLAIM = dt.timedelta(hours=1)
MODELS = {CrmKind.LEADS: Lead, CrmKind.OPPORTUNITIES: Opportunity, CrmKind.TOUCHPOINTS: Touchpoint}


def crm_import_max_bytes() -> int:
    """Largest accepted CSV upload (setting ``CRM_IMPORT_MAX_BYTES``, default 200 MB)."""
    return int(getattr(settings, "CRM_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


class PayloadRejected(DomainError):
    """A bulk upsert payload with errors: nothing was written; ``errors`` lists them per item and field."""

    code = "invalid_items"

    def __init__(self, errors: list[dict], total: int):
        message = _("%(count)s error(s) in the items; nothing was saved.") % {"count": total}
        super().__init__(message, extra={"errors": errors, "error_count": total})


# ------------------------------------------------------------------------------------------------------- mappings


@transaction.atomic
def column_mapping_save(
    *, company, name: str, kind: str, columns: dict[str, str], actor, mapping: ColumnMapping | None = None
) -> ColumnMapping:
    """Create or change a saved column mapping. Every required field of ``kind`` needs a column."""
    require_actor(actor, company, Action.CRM_IMPORT)
    if kind not in CrmKind.values:
        raise ValidationError({"kind": _("Choose leads, opportunities or touchpoints.")})
    specs = field_specs(kind)
    cleaned = {field: str(header).strip() for field, header in columns.items() if str(header or "").strip()}
    errors: dict[str, list[str]] = {}
    for field, header in cleaned.items():
        if field not in specs:
            errors.setdefault(field, []).append(_("Unknown field."))
        elif len(header) > 200:
            errors.setdefault(field, []).append(_("A column name is at most 200 characters."))
    for spec in specs.values():
        if spec.required and spec.name not in cleaned:
            errors.setdefault(spec.name, []).append(_("Name the column that holds this required field."))
    if errors:
        raise ValidationError(errors)
    if mapping is None:
        mapping = ColumnMapping(company=company, created_by=actor if getattr(actor, "pk", None) else None)
    else:
        mapping = ColumnMapping.objects.select_for_update().get(pk=mapping.pk, company=company)
    mapping.name = name.strip()
    mapping.kind = kind
    mapping.columns = cleaned
    if ColumnMapping.objects.filter(company=company, name=mapping.name).exclude(pk=mapping.pk).exists():
        raise ValidationError({"name": _("A mapping with this name exists already.")})
    mapping.full_clean(exclude=["created_by"])
    mapping.save()
    return mapping


@transaction.atomic
def column_mapping_delete(*, mapping: ColumnMapping, actor) -> None:
    require_actor(actor, mapping.company, Action.CRM_IMPORT)
    ColumnMapping.objects.filter(pk=mapping.pk, company=mapping.company).delete()


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
    if auto:
        source, found = _detected(company, kind, _file_header(upload))
        mapping = mapping or found
    job = CrmImport(
        company=company,
        kind=kind,
        source=source,
        mapping=mapping if source == CrmImport.Source.CUSTOM else None,
        original_name=original_name[-255:],
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
    from .tasks import crm_import_run as task  # tasks.py imports this module: a cycle at module level

    transaction.on_commit(lambda: task.delay(job.pk))


def _wizard_mapping_name(source: str, kind: str) -> str:
    return f"{CrmImport.Source(source).label} · {CrmKind(kind).label}"[:120]


@transaction.atomic
def crm_import_confirm(*, job: CrmImport, columns: dict[str, str], date_order: str, actor) -> CrmImport:
    """The wizard's confirmation: check the columns against the file (every required field mapped, a column for
    one field only, an order for ambiguous dates), keep them on the import and as the company's mapping for the
    next file from this CRM, and schedule the import. Nothing is written to the CRM data before the task runs,
    and a rejected file writes nothing then either."""
    from .crm_wizard import build_preview  # crm_wizard builds on this module's readers: a cycle at module level

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


def _progress_key(import_id: int) -> str:
    return f"reporting:crm-import:{import_id}:progress"


def _set_progress(job: CrmImport, **values) -> None:
    # The write pass runs inside one transaction, so other connections cannot see row updates until it commits;
    # progress therefore goes through the cache (Redis when configured), shared by the worker and the web page.
    cache.set(_progress_key(job.pk), values, timeout=24 * 3600)


def crm_import_progress(job: CrmImport) -> dict:
    """Progress for the page: {"percent": 0–100, "phase": status, "rows": rows seen or written}."""
    if job.is_finished:
        return {"percent": 100, "phase": job.status, "rows": job.rows_done}
    data = cache.get(_progress_key(job.pk)) or {}
    phase = data.get("phase", job.status)
    if phase == CrmImport.Status.VALIDATING and data.get("size"):
        percent = int(50 * min(1, data.get("bytes", 0) / data["size"]))
    elif phase == CrmImport.Status.WRITING and data.get("total"):
        percent = 50 + int(50 * min(1, data.get("done", 0) / data["total"]))
    else:
        percent = 0
    return {"percent": percent, "phase": phase, "rows": data.get("done", 0)}


def _mapping_for(job: CrmImport) -> tuple[dict[str, str], bool]:
    """(field → column header, strict): presets accept missing optional columns; a saved mapping and the columns
    confirmed in the wizard are strict."""
    if job.columns:
        return dict(job.columns), True
    if job.source == CrmImport.Source.CUSTOM:
        if job.mapping is None:
            raise ImportRejected([error(None, "", _("The saved column mapping of this import was deleted."))])
        return dict(job.mapping.columns), True
    preset = reader.preset_mapping(job.source, job.kind)
    if preset is None:
        raise ImportRejected([error(None, "", _("This CRM export has no preset for this kind."))])
    return dict(preset), False


def crm_import_run(*, import_id: int) -> CrmImport | None:
    """Run one import (the Celery task calls this). Idempotent: only a waiting import is claimed (compare-and-set
    on its status); a finished or running one is left alone. On a transient database error the import goes back
    to waiting and the error is raised again so the task retries.

    A worker that dies mid-import leaves its claim behind; its write transaction was rolled back, so once the claim
    is older than STALE_CLAIM (the broker's redelivery timeout) a redelivered task may take it over."""
    now = timezone.now()
    running = [CrmImport.Status.VALIDATING, CrmImport.Status.WRITING]
    claimed = (
        CrmImport.objects.filter(pk=import_id)
        .filter(Q(status=CrmImport.Status.PENDING) | Q(status__in=running, started_at__lt=now - STALE_CLAIM))
        .update(status=CrmImport.Status.VALIDATING, started_at=now)
    )
    if not claimed:
        return None
    job = CrmImport.objects.select_related("company", "mapping").get(pk=import_id)
    try:
        _run(job)
    except (OperationalError, InterfaceError):
        CrmImport.objects.filter(pk=job.pk).update(status=CrmImport.Status.PENDING)
        raise
    except ImportRejected as rejected:
        _finish(job, status=CrmImport.Status.FAILED, errors=rejected.errors, error_count=rejected.total)
    except Exception:
        logger.exception("CRM import %s failed", job.pk)
        message = _("The import stopped unexpectedly; nothing was changed. Please try again or contact support.")
        _finish(job, status=CrmImport.Status.FAILED, errors=[error(None, "", message)], error_count=1)
    job.refresh_from_db()
    return job


def _finish(job: CrmImport, *, status: str, errors: list | None = None, error_count: int = 0, **fields) -> None:
    CrmImport.objects.filter(pk=job.pk).update(
        status=status,
        errors=(errors or [])[:MAX_STORED_ERRORS],
        error_count=error_count,
        finished_at=timezone.now(),
        **fields,
    )
    cache.delete(_progress_key(job.pk))
    if job.file:
        try:
            job.file.delete(save=False)
        except OSError:  # already gone: nothing to clean up
            logger.warning("CRM import %s: file %s was already deleted", job.pk, job.file.name)
        CrmImport.objects.filter(pk=job.pk).update(file="")


class _Columns:
    """Which fields a file provides, and from which column. Headers match by core.tabular.loose_header_key (case,
    spaces, punctuation and a BOM do not count); a preset names alternatives ("Record ID", "Contact ID",
    "Datensatz-ID", ...)."""

    def __init__(self, mapping: dict[str, str | tuple[str, ...]], header: list[str], strict: bool, kind: str):
        specs = field_specs(kind)
        self.errors: list[dict] = []
        self.columns: dict[str, str] = reader.match_columns(mapping, header)
        for field, names in mapping.items():
            alternatives = (names,) if isinstance(names, str) else tuple(names)
            if field not in self.columns and (strict or specs[field].required):
                self.errors.append(error(1, alternatives[0], _("Column missing from the file (needed for “%(field)s”).")
                                         % {"field": specs[field].label}))  # fmt: skip
        for spec in specs.values():
            if spec.required and spec.name not in mapping:
                self.errors.append(error(1, "", _("No column is mapped to “%(field)s”.") % {"field": spec.label}))

    def raw(self, row: dict[str, str]) -> dict[str, str]:
        return {field: row.get(column, "") for field, column in self.columns.items()}


def _open(job: CrmImport):
    try:
        return job.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise ImportRejected([error(None, "", _("The uploaded file is no longer there; upload it again."))]) from exc


def _run(job: CrmImport) -> None:
    mapping, strict = _mapping_for(job)
    ctx = ParseContext(settings=reporting_settings(job.company), date_order=job.date_order or None)
    binary = _open(job)
    try:
        try:
            encoding = tabular.detect_encoding(binary)  # one pass over the bytes; refuses binary and UTF-16
        except FileUnreadable as exc:
            raise ImportRejected([error(exc.row, "", exc.message)]) from exc
        if ctx.date_order is None:
            ctx.date_order = _file_date_order(binary, encoding)
        # A report's footer ends the data for the Python reader; COPY would read it as rows.
        if (
            connection.vendor == "postgresql"
            and job.kind in crm_import_pg.KINDS
            and not reader.has_report_footer(binary, encoding)
        ):
            with transaction.atomic():
                outcome = crm_import_pg.import_leads(
                    job,
                    binary,
                    encoding=encoding,
                    columns_for=lambda header: _Columns(mapping, header, strict, job.kind),
                    progress=lambda **values: _set_progress(job, **values),
                    company_settings=ctx.settings,
                    date_order=ctx.date_order,
                )
                if outcome is not None:
                    if "crm_opportunity_id" in outcome.fields:
                        _link_converted_opportunities(job.company)
                    CrmImport.objects.filter(pk=job.pk).update(rows_total=outcome.rows, encoding=outcome.encoding)
            if outcome is not None:
                _finish(job, status=CrmImport.Status.DONE, rows_done=outcome.rows, rows_created=outcome.created,
                        rows_total=outcome.rows)  # fmt: skip
                return
        rows_total = _validate(job, binary, encoding, mapping, strict, ctx)
        CrmImport.objects.filter(pk=job.pk).update(
            status=CrmImport.Status.WRITING, rows_total=rows_total, encoding=encoding
        )
        _set_progress(job, phase=CrmImport.Status.WRITING, done=0, total=rows_total)
        with transaction.atomic():
            written, created = _write(job, binary, encoding, mapping, strict, ctx, rows_total)
    finally:
        binary.close()
    _finish(job, status=CrmImport.Status.DONE, rows_done=written, rows_created=created, rows_total=rows_total)


_SLASH_DATE = re.compile(rb"(?:^|[^0-9/])[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}")


def _file_date_order(binary, encoding: str) -> str | None:
    """An import that did not pass the wizard (the command, a re-run) takes the order its file's slash dates decide
    (reporting.crm_import.DateOrderScan over every value); None where they do not (each value then decides itself
    or is an error that asks for the order). A file without a slash date in its first 64 KB is not read twice."""
    head = binary.read(1 << 16)
    binary.seek(0)
    if not _SLASH_DATE.search(head):
        return None
    scan = reader.DateOrderScan()
    try:
        for number, row in reader.iter_csv(binary, encoding):
            if number > 1:
                for column, value in row.items():
                    if "/" in value:
                        scan.add(value, number, column)
    except FileUnreadable:
        return None  # the validation names the row
    finally:
        binary.seek(0)
    return scan.result if scan.result in reader.DateOrder.CHOICES else None


def _validate(job, binary, encoding, mapping, strict, ctx) -> int:
    """First pass: every row parsed and checked, nothing written. Returns the number of data rows; raises
    ImportRejected with all errors (the first MAX_STORED_ERRORS kept)."""
    errors: list[dict] = []
    total_errors = 0
    seen = reader.SeenIds()
    pending_leads: list[tuple[int, str]] = []
    rows = 0
    columns: _Columns | None = None

    def add(row, column, message):
        nonlocal total_errors
        total_errors += 1
        if len(errors) < MAX_STORED_ERRORS:
            errors.append(error(row, column, message))

    def report_duplicates(duplicates):
        column = columns.columns.get("external_id", "")
        for row, external_id, first in duplicates:
            add(row, column, _("The id “%(id)s” appears more than once in the file (first in row %(first)s).")
                % {"id": external_id, "first": first})  # fmt: skip

    def check_leads():
        missing = _missing_leads(job.company, [ext for _row, ext in pending_leads])
        for row, ext in pending_leads:
            if ext in missing:
                add(row, columns.columns.get("lead_external_id", ""), _("No lead with id “%(id)s”.") % {"id": ext})
        pending_leads.clear()

    try:
        for number, row in reader.iter_csv(binary, encoding):
            if number == 1 and columns is None:
                columns = _Columns(mapping, row, strict, job.kind)
                if columns.errors:
                    raise ImportRejected(columns.errors)
                continue
            rows += 1
            values, row_errors = parse_record(job.kind, columns.raw(row), ctx)
            for field, message in row_errors:
                add(number, columns.columns.get(field, field), message)
            external_id = values.get("external_id")
            if external_id and not row_errors:
                report_duplicates(seen.add(external_id, number))
            if job.kind == CrmKind.TOUCHPOINTS and values.get("lead_external_id"):
                pending_leads.append((number, values["lead_external_id"]))
                if len(pending_leads) >= BATCH_SIZE:
                    check_leads()
            if rows % PROGRESS_EVERY == 0:
                _set_progress(job, phase=CrmImport.Status.VALIDATING, done=rows, bytes=binary.tell(), size=job.size)
        if pending_leads:
            check_leads()
        if columns is not None:
            report_duplicates(seen.flush())
    except FileUnreadable as exc:
        add(exc.row, "", exc.message)
    finally:
        seen.close()
    if columns is None:
        add(None, "", _("The file has no header row."))
    elif rows == 0 and not total_errors:
        add(None, "", _("The file has a header but no data rows."))
    if total_errors:
        raise ImportRejected(errors, total_errors)
    return rows


def _missing_leads(company, external_ids: Iterable[str]) -> set[str]:
    wanted = set(external_ids)
    found = set(Lead.objects.filter(company=company, external_id__in=wanted).values_list("external_id", flat=True))
    return wanted - found


def _write(job, binary, encoding, mapping, strict, ctx, rows_total) -> tuple[int, int]:
    """Second pass, inside the caller's transaction: upsert in batches of BATCH_SIZE."""
    columns: _Columns | None = None
    batch: list[dict] = []
    written = created = 0
    for number, row in reader.iter_csv(binary, encoding):
        if columns is None:
            columns = _Columns(mapping, row, strict, job.kind)
            continue
        values, row_errors = parse_record(job.kind, columns.raw(row), ctx)
        if row_errors:  # the file changed between the passes
            raise ImportRejected([error(number, columns.columns.get(f, f), m) for f, m in row_errors])
        batch.append(values)
        if len(batch) >= BATCH_SIZE:
            created += _upsert_batch(job.company, job.kind, batch, ctx)
            written += len(batch)
            batch = []
            _set_progress(job, phase=CrmImport.Status.WRITING, done=written, total=rows_total)
    if batch:
        created += _upsert_batch(job.company, job.kind, batch, ctx)
        written += len(batch)
    if job.kind == CrmKind.LEADS and columns is not None and "crm_opportunity_id" in columns.columns:
        _link_converted_opportunities(job.company)
    return written, created


def _upsert_batch(company, kind: str, batch: list[dict], ctx: ParseContext) -> int:
    """Upsert one batch; returns how many rows were new. Rows are grouped by the fields they carry, so a field a
    row does not provide is never overwritten."""
    model = MODELS[kind]
    if kind == CrmKind.OPPORTUNITIES:
        _resolve_opportunity_leads(company, batch, ctx)
    elif kind == CrmKind.TOUCHPOINTS:
        _resolve_touchpoint_leads(company, batch)
    ids = [values["external_id"] for values in batch]
    existing = model.objects.filter(company=company, external_id__in=ids).count()
    groups: dict[frozenset, list[dict]] = defaultdict(list)
    for values in batch:
        groups[frozenset(values)].append(values)
    for fields, rows in groups.items():
        update_fields = sorted(fields - {"external_id"})
        objects = [model(company=company, **values) for values in rows]
        model.objects.bulk_create(
            objects,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["company", "external_id"],
            update_fields=update_fields,
        )
    return len(batch) - existing


def _resolve_opportunity_leads(company, batch: list[dict], ctx: ParseContext) -> None:
    """Each opportunity's lead: by the lead id it names, else the lead converted into it (Salesforce). The
    marketing-sourced flag follows the lead, else the lead source, unless given."""
    lead_ids = {v["lead_external_id"] for v in batch if v.get("lead_external_id")}
    opportunity_ids = [v["external_id"] for v in batch]
    by_external: dict[str, tuple[int, bool]] = {}
    by_converted: dict[str, tuple[int, bool]] = {}
    rows = Lead.objects.filter(company=company).filter(
        Q(external_id__in=lead_ids) | Q(crm_opportunity_id__in=opportunity_ids)
    )
    for pk, external_id, converted, marketing in rows.values_list(
        "pk", "external_id", "crm_opportunity_id", "is_marketing_sourced"
    ):
        by_external[external_id] = (pk, marketing)
        if converted:
            by_converted[converted] = (pk, marketing)
    for values in batch:
        lead_external_id = values.pop("lead_external_id", "")
        found = by_external.get(lead_external_id) if lead_external_id else None
        found = found or by_converted.get(values["external_id"])
        values["lead_id"] = found[0] if found else None
        if "is_marketing_sourced" not in values:
            if found:
                values["is_marketing_sourced"] = found[1]
            else:
                values["is_marketing_sourced"] = ctx.settings.is_marketing_source(values.get("lead_source", ""))


def _resolve_touchpoint_leads(company, batch: list[dict]) -> None:
    wanted = {v["lead_external_id"] for v in batch}
    found = dict(Lead.objects.filter(company=company, external_id__in=wanted).values_list("external_id", "pk"))
    for values in batch:
        values["lead_id"] = found[values.pop("lead_external_id")]


def _link_converted_opportunities(company) -> None:
    """Salesforce: link opportunities imported before their leads (one UPDATE)."""
    converted = Lead.objects.filter(company=company, crm_opportunity_id=OuterRef("external_id")).values("pk")[:1]
    Opportunity.objects.filter(
        company=company,
        lead__isnull=True,
        external_id__in=Lead.objects.filter(company=company)
        .exclude(crm_opportunity_id="")
        .values("crm_opportunity_id"),
    ).update(lead=Subquery(converted))


# ---------------------------------------------------------------------------------------------------- bulk API


def crm_records_upsert(*, company, kind: str, items: Any, actor) -> dict[str, int]:
    """Upsert a list of records (the CRM sync API). All or nothing: any error rejects the whole payload with the
    errors per item index and field (PayloadRejected, 400). Returns {"received", "created", "updated"}."""
    require_actor(actor, company, Action.CRM_IMPORT)
    if not isinstance(items, list):
        raise DomainError(_("Send a JSON list of records."), field="non_field_errors")
    if not items:
        raise DomainError(_("The list is empty."), field="non_field_errors")
    if len(items) > MAX_API_ITEMS:
        raise DomainError(
            _("At most %(max)s records per request; split the list.") % {"max": MAX_API_ITEMS},
            field="non_field_errors",
        )
    ctx = ParseContext(settings=reporting_settings(company))
    errors: list[dict] = []
    parsed: list[dict] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": index, "field": "", "message": _("Each record must be a JSON object.")})
            continue
        values, item_errors = parse_record(kind, item, ctx)
        errors.extend({"index": index, "field": f, "message": m} for f, m in item_errors)
        external_id = values.get("external_id")
        if external_id and not item_errors:
            if external_id in seen:
                message = _("The id “%(id)s” is also in record %(other)s.") % {
                    "id": external_id,
                    "other": seen[external_id],
                }
                errors.append({"index": index, "field": "external_id", "message": message})
            seen[external_id] = index
        parsed.append(values)
    if kind == CrmKind.TOUCHPOINTS and not errors:
        missing = _missing_leads(company, [v["lead_external_id"] for v in parsed])
        for index, values in enumerate(parsed):
            if values["lead_external_id"] in missing:
                errors.append({
                    "index": index,
                    "field": "lead_external_id",
                    "message": _("No lead with id “%(id)s”.") % {"id": values["lead_external_id"]},
                })  # fmt: skip
    if errors:
        raise PayloadRejected(errors[:MAX_STORED_ERRORS], len(errors))
    created = 0
    with transaction.atomic():
        for start in range(0, len(parsed), BATCH_SIZE):
            created += _upsert_batch(company, kind, parsed[start : start + BATCH_SIZE], ctx)
        if kind == CrmKind.LEADS and any("crm_opportunity_id" in v for v in parsed):
            _link_converted_opportunities(company)
        from .tasks import kpi_snapshots_refresh_changed as refresh  # the tasks import services: a cycle

        transaction.on_commit(lambda: refresh.delay(company.pk))
    return {"received": len(parsed), "created": created, "updated": len(parsed) - created}


# --------------------------------------------------------------------------------------- settings and bindings


@transaction.atomic
def reporting_settings_update(*, company, actor, **changes) -> ReportingSettings:
    """Change the KPI choices of a company (qualified stage, focus segments, half-life, sales sources)."""
    require_actor(actor, company, Action.COMPANY_SETTINGS)
    current, _created = ReportingSettings.objects.select_for_update().get_or_create(company=company)
    allowed = {"qualified_stage", "focus_segments", "attribution_half_life_days", "sales_sources", "other_sources"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("Unknown setting.") for name in unknown})
    for name in ("focus_segments", "sales_sources", "other_sources"):
        if name in changes:
            changes[name] = [str(s).strip() for s in changes[name] if str(s).strip()]
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=list(changes) or None)
    return current


@transaction.atomic
def kpi_binding_create(*, company, kpi_key: str, key_result, actor) -> KpiBinding:
    """Bind a key result to a KPI: the KR's target becomes the KPI's target and refreshes check the value in."""
    require_actor(actor, company, Action.CASCADE_EDIT)
    if kpi_key not in KPIS:
        raise ValidationError({"kpi_key": _("Unknown KPI.")})
    if key_result.company_id != company.pk:
        raise NotFound()
    binding, _created = KpiBinding.objects.get_or_create(company=company, kpi_key=kpi_key, key_result=key_result)
    return binding


@transaction.atomic
def kpi_binding_delete(*, binding: KpiBinding, actor) -> None:
    require_actor(actor, binding.company, Action.CASCADE_EDIT)
    KpiBinding.objects.filter(pk=binding.pk).delete()


__all__ = [
    "PayloadRejected",
    "column_mapping_delete",
    "column_mapping_save",
    "crm_import_confirm",
    "crm_import_create",
    "crm_import_discard",
    "crm_import_drafts_purge",
    "crm_import_progress",
    "crm_import_run",
    "crm_records_upsert",
    "kpi_binding_create",
    "kpi_binding_delete",
    "reporting_settings_update",
]
