"""CSV and XLSX export of budget lines. Text cells that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) are prefixed with an apostrophe; amounts stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from .models import BudgetLine

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _header() -> list[str]:
    return [
        _("ID"),
        _("Title"),
        _("Cycle"),
        _("Channel"),
        _("Objective"),
        _("Key result"),
        _("Initiative"),
        _("State"),
        _("Planned amount"),
        _("Actual"),
        _("Requester"),
        _("Approved by"),
        _("Approved at"),
    ]


def _row(line: BudgetLine) -> tuple[list, list]:
    """(text cells, numeric cells) of one line."""
    kr = line.key_result
    text = [
        safe_cell(line.title),
        safe_cell(line.cycle.name),
        safe_cell(line.channel.name),
        safe_cell(kr.objective.title if kr else ""),
        safe_cell(kr.title if kr else ""),
        safe_cell(line.initiative.title if line.initiative else ""),
        safe_cell(line.get_state_display()),
    ]
    people = [
        safe_cell(line.requester.get_username()),
        safe_cell(line.approver.get_username() if line.approver else ""),
        line.approved_at.isoformat(timespec="minutes") if line.approved_at else "",
    ]
    return text, people


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines_csv(lines: Iterable[BudgetLine]) -> Iterator[str]:
    """Stream rows (UTF-8 with BOM so that Excel opens umlauts correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(_header())
    for line in lines:
        text, people = _row(line)
        yield writer.writerow([line.pk, *text, f"{line.planned_amount:.2f}", f"{line.actual:.2f}", *people])


def lines_xlsx(lines: Iterable[BudgetLine]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Budget lines"))
    sheet.append(_header())
    for line in lines:
        text, people = _row(line)
        sheet.append([line.pk, *text, line.planned_amount, line.actual, *people])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
