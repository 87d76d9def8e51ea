"""CSV and XLSX export of budget lines, written by core.tabular (text cells formula-safe, amounts numbers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from core import tabular
from core.people import display_name

from .models import BudgetLine


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


def _row(line: BudgetLine) -> list:
    kr = line.key_result
    return [
        line.pk,
        line.title,
        line.cycle.name,
        line.channel.name,
        kr.objective.title if kr else "",
        kr.title if kr else "",
        line.initiative.title if line.initiative else "",
        line.get_state_display(),
        line.planned_amount,
        line.actual,
        display_name(line.requester),
        display_name(line.approver),
        line.approved_at.isoformat(timespec="minutes") if line.approved_at else "",
    ]


def lines_csv(lines: Iterable[BudgetLine]) -> Iterator[str]:
    """Stream rows (UTF-8 with BOM so that Excel opens umlauts correctly)."""
    return tabular.csv_stream(_header(), (_row(line) for line in lines))


def lines_xlsx(lines: Iterable[BudgetLine]) -> bytes:
    return tabular.write_xlsx(_header(), (_row(line) for line in lines), title=_("Budget lines"))
