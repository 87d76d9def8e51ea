"""What the import wizard shows before anything is written: the detected CRM, each column of the file with the field
it maps to, five sample rows as the import will read them, warnings about missing columns and their consequence,
and the question about the date order when the file's slash dates can be read both ways.

Reads the uploaded file only (no writes). The scan of a whole file (every column's slash dates, the number of rows)
is kept in the cache per import, so that changing a column's field in the wizard does not read the file again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from core import numbers, tabular

from . import reader
from .models import ColumnMapping, CrmImport, Opportunity
from .reader import DateOrder, DateOrderScan, FileUnreadable, ParseContext, field_specs, parse_record
from .sources import company_sources

SAMPLE_ROWS = 5


@dataclass
class Scan:
    header: list[str]
    samples: list[tuple[int, dict[str, str]]]
    rows: int
    dates: dict[str, tuple]  # header → (day_first, month_first, ambiguous) examples of DateOrderScan
    error: str = ""


@dataclass
class Preview:
    job: CrmImport
    header: list[str]
    columns: dict[str, str]  # field → header
    choices: list[tuple[str, str]]  # (field, label)
    samples: list[dict] = field(default_factory=list)  # {"row", "cells": [(label, text)], "errors": [...]}
    sample_fields: list[tuple[str, str]] = field(default_factory=list)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    date_scan: str | None = None
    date_examples: dict[str, tuple] = field(default_factory=dict)
    date_order: str = ""
    file_date_scan: str | None = None  # over every column: whether the wizard asks for the order at all
    file_date_examples: dict[str, tuple] = field(default_factory=dict)

    @property
    def field_of(self) -> dict[str, str]:
        return {header: name for name, header in self.columns.items()}

    @property
    def column_rows(self) -> list[dict]:
        """One entry per column of the file: its index, header, mapped field and the first sample values."""
        field_of = self.field_of
        return [
            {"index": i, "header": h, "field": field_of.get(h, ""),
             "examples": [raw.get(h, "") for _row, raw in self._raw_samples][:3]}
            for i, h in enumerate(self.header)
        ]  # fmt: skip

    _raw_samples: list = field(default_factory=list)

    @property
    def asks_date_order(self) -> bool:
        return self.file_date_scan == DateOrderScan.AMBIGUOUS

    @property
    def can_confirm(self) -> bool:
        return not self.errors


def _scan_key(job: CrmImport) -> str:
    return f"crm:wizard:{job.pk}:{job.created_at:%Y%m%d%H%M%S%f}:scan"


def scan_file(job: CrmImport) -> Scan:
    """Header, first sample rows, number of rows and per column the slash dates' order, from one pass."""
    cached = cache.get(_scan_key(job))
    if cached is not None:
        return cached
    header: list[str] = []
    samples: list[tuple[int, dict[str, str]]] = []
    scans: dict[str, DateOrderScan] = {}
    rows = 0
    error = ""
    try:
        binary = job.file.open("rb")
    except (FileNotFoundError, ValueError):
        return Scan([], [], 0, {}, _("The uploaded file is no longer there; upload it again."))
    try:
        encoding = tabular.detect_encoding(binary)
        for number, row in reader.iter_csv(binary, encoding):
            if number == 1:
                header = list(row)
                scans = {h: DateOrderScan() for h in header}
                continue
            rows += 1
            if len(samples) < SAMPLE_ROWS:
                samples.append((number, row))
            for h, value in row.items():
                if value and "/" in value and h in scans:
                    scans[h].add(value, number, h)
    except FileUnreadable as exc:
        error = exc.message
    finally:
        binary.close()
    dates = {h: (s.day_first, s.month_first, s.ambiguous) for h, s in scans.items()}
    result = Scan(header, samples, rows, dates, error)
    cache.set(_scan_key(job), result, timeout=24 * 3600)
    return result


def initial_columns(job: CrmImport, header: list[str]) -> dict[str, str]:
    """What the wizard proposes: the confirmed columns, else the saved mapping the import names, else the CRM's
    preset with the company's kept mapping for that CRM on top (a column it names wins)."""
    if job.columns:
        mapping: dict = dict(job.columns)
        return reader.match_columns(mapping, header)
    if job.mapping_id:
        return reader.match_columns(dict(job.mapping.columns), header)
    found = reader.match_columns(reader.preset_mapping(job.source, job.kind) or {}, header)
    kept = ColumnMapping.objects.filter(company=job.company, source=job.source, kind=job.kind).first()
    if kept:
        for name, column in reader.match_columns(dict(kept.columns), header).items():
            found = {f: h for f, h in found.items() if h != column and f != name}
            found[name] = column
    return found


def _display(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        text = numbers.format_date(local)
        return text if local.time() == dt.time.min else f"{text} {local:%H:%M}"
    if isinstance(value, Decimal):
        return numbers.format_decimal(value)
    return str(value)


def _combined_dates(scan: Scan, columns: dict[str, str], kind: str | None) -> tuple[str | None, dict[str, tuple]]:
    """The date order over the date columns of ``columns`` (every column with ``kind=None``)."""
    specs = field_specs(kind) if kind else {}
    combined = DateOrderScan()
    for name, header in columns.items():
        if (kind and (name not in specs or specs[name].kind != "datetime")) or header not in scan.dates:
            continue
        day_first, month_first, ambiguous = scan.dates[header]
        combined.day_first = combined.day_first or day_first
        combined.month_first = combined.month_first or month_first
        combined.ambiguous = combined.ambiguous or ambiguous
    examples = {"day_first": combined.day_first, "month_first": combined.month_first, "ambiguous": combined.ambiguous}
    return combined.result, examples


def build_preview(*, job: CrmImport, columns: dict[str, str] | None = None, date_order: str = "") -> Preview:
    scan = scan_file(job)
    specs = field_specs(job.kind)
    if columns is None:
        columns = initial_columns(job, scan.header)
    preview = Preview(
        job=job,
        header=scan.header,
        columns=columns,
        choices=[(s.name, str(s.label)) for s in specs.values()],
        rows=scan.rows,
        date_order=date_order if date_order in DateOrder.CHOICES else "",
    )
    preview._raw_samples = scan.samples
    if scan.error:
        preview.errors.append(scan.error)
        return preview
    if not scan.header:
        preview.errors.append(_("The file has no header row."))
        return preview
    if scan.rows == 0:
        preview.errors.append(_("The file has a header but no data rows."))
    preview.errors.extend(_column_errors(job.kind, scan.header, columns))
    preview.date_scan, preview.date_examples = _combined_dates(scan, columns, job.kind)
    every_column = {f"{i}": h for i, h in enumerate(scan.header)}
    preview.file_date_scan, preview.file_date_examples = _combined_dates(scan, every_column, None)
    if preview.date_scan == DateOrderScan.CONFLICT:
        day_first, month_first = preview.date_examples["day_first"], preview.date_examples["month_first"]
        preview.errors.append(
            _("The dates are written in both orders: row %(row1)s has “%(value1)s” (day first), row %(row2)s has "
              "“%(value2)s” (month first). Export the file again with one date format.")
            % {"row1": day_first[0], "value1": day_first[2], "row2": month_first[0], "value2": month_first[2]}
        )  # fmt: skip
    elif preview.date_scan == DateOrderScan.AMBIGUOUS and not preview.date_order:
        preview.errors.append(_("Choose how the file writes its dates (day first or month first)."))
    preview.warnings = reader.mapping_warnings(job.kind, job.source, set(columns))
    order = preview.date_order or (preview.date_scan if preview.date_scan in DateOrder.CHOICES else None)
    ctx = ParseContext(sources=company_sources(job.company), date_order=order)
    shown: list[str] = []
    for number, row in scan.samples:
        number += job.header_row - 1  # as the uploaded spreadsheet numbers its rows (title rows above the header)
        values, errors = parse_record(job.kind, {name: row.get(h, "") for name, h in columns.items()}, ctx)
        for name in values:
            if name not in shown:
                shown.append(name)
        preview.samples.append({
            "row": number,
            "values": values,
            "errors": [{"row": number, "column": columns.get(f, f), "message": m} for f, m in errors],
        })  # fmt: skip
    order_of = {name: i for i, name in enumerate(specs)}
    shown.sort(key=lambda name: order_of.get(name, 999))
    preview.sample_fields = [(name, str(specs[name].label)) for name in shown if name in specs]
    for sample in preview.samples:
        values = sample.pop("values")
        sample["cells"] = [_cell(name, values.get(name)) for name, _label in preview.sample_fields]
    return preview


def _cell(name: str, value) -> str:
    if name == "status" and value:
        return str(Opportunity.Status(value).label)
    return _display(value)


def _column_errors(kind: str, header: list[str], columns: dict[str, str]) -> list[str]:
    specs = field_specs(kind)
    errors = []
    for name, column in columns.items():
        if name not in specs:
            errors.append(_("Unknown field “%(field)s”.") % {"field": name})
        elif column not in header:
            errors.append(_("The file has no column “%(column)s”.") % {"column": column})
    used: dict[str, str] = {}
    for name, column in columns.items():
        if column in used and name in specs and used[column] in specs:
            errors.append(
                _("The column “%(column)s” is chosen for “%(first)s” and “%(second)s”; a column holds one field.")
                % {"column": column, "first": specs[used[column]].label, "second": specs[name].label}
            )
        used.setdefault(column, name)
    for spec in specs.values():
        if spec.required and spec.name not in columns:
            errors.append(_("Choose the column that holds “%(field)s” (required).") % {"field": spec.label})
    return errors


def columns_from_form(header: list[str], data) -> tuple[dict[str, str], list[str]]:
    """The wizard's selects (``column-<index>`` = field or empty) as {field: header}, and the fields chosen for
    more than one column."""
    columns: dict[str, str] = {}
    twice: list[str] = []
    for index, column in enumerate(header):
        name = (data.get(f"column-{index}") or "").strip()
        if not name:
            continue
        if name in columns:
            twice.append(name)
        else:
            columns[name] = column
    return columns, twice


def forget_scan(job: CrmImport) -> None:
    cache.delete(_scan_key(job))
