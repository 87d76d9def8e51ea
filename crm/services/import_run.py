"""Running a confirmed CRM file import (the Celery task's service): claiming the job, the SQL path of
:mod:`crm.services.imports_pg` (leads) and :mod:`crm.services.imports_pg_related` (opportunities, touchpoints) or the
Python path (a validating pass, then a writing pass in one transaction),
progress through the cache for the page, and finishing with the stored errors. See :mod:`crm.services.imports`
for the two paths."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import tabular

from .. import reader
from ..models import CrmImport, CrmKind
from ..reader import (
    BATCH_SIZE,
    MAX_STORED_ERRORS,
    FileUnreadable,
    ImportRejected,
    ParseContext,
    error,
    field_specs,
    parse_record,
)
from ..sources import company_sources
from . import imports_pg, imports_pg_related
from .records import _link_converted_opportunities, _missing_leads, _upsert_batch

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
STALE_CLAIM = dt.timedelta(hours=1)


def _progress_key(import_id: int) -> str:
    return f"crm:import:{import_id}:progress"


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
    errors = (errors or [])[:MAX_STORED_ERRORS]
    if job.header_row > 1:  # rows as the uploaded spreadsheet numbers them, title rows above the header included
        errors = [{**e, "row": e["row"] + job.header_row - 1 if e.get("row") else e.get("row")} for e in errors]
    CrmImport.objects.filter(pk=job.pk).update(
        status=status,
        errors=errors,
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
    ctx = ParseContext(sources=company_sources(job.company), date_order=job.date_order or None)
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
            and job.kind in imports_pg.KINDS | imports_pg_related.KINDS
            and not reader.has_report_footer(binary, encoding)
        ):
            with transaction.atomic():
                leads = job.kind in imports_pg.KINDS  # else opportunities or touchpoints
                importer = imports_pg.import_leads if leads else imports_pg_related.import_related
                outcome = importer(
                    job,
                    binary,
                    encoding=encoding,
                    columns_for=lambda header: _Columns(mapping, header, strict, job.kind),
                    progress=lambda **values: _set_progress(job, **values),
                    sources=ctx.sources,
                    date_order=ctx.date_order,
                )
                if outcome is not None:
                    if "crm_opportunity_id" in outcome.fields:
                        _link_converted_opportunities(job.company)
                    CrmImport.objects.filter(pk=job.pk).update(rows_total=outcome.rows, encoding=outcome.encoding)
            if outcome is not None:
                _finish(job, status=CrmImport.Status.DONE, rows_done=outcome.rows, rows_created=outcome.created,
                        rows_unchanged=outcome.unchanged, rows_total=outcome.rows)  # fmt: skip
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
    (crm.reader.DateOrderScan over every value); None where they do not (each value then decides itself
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
