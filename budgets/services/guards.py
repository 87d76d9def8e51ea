"""Binding guards the cascade services call (registered with objectives.guards in BudgetsConfig.ready), and the
unbinding of lines whose key result is deleted."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from objectives.models import Cycle, KeyResult
from objectives.models.cascade import dates_cover

from ..models import BudgetLine
from .base import (
    Event,
    State,
    _audit,
)

KR_MOVE_UNCOVERED = _(
    "This key result carries approved budget (%(lines)s) for the cycle %(line_cycles)s, which the cycle “%(cycle)s” "
    "(%(range)s) does not cover. Bind those budget lines to another key result first; they then go back for "
    "re-approval."
)
CYCLE_DATES_UNCOVERED_KR = _(
    "Key results of this cycle carry approved budget (%(lines)s) for the cycle %(line_cycles)s, which %(range)s "
    "would no longer cover. Bind those budget lines to another key result first; they then go back for re-approval."
)
CYCLE_DATES_UNCOVERED_LINE = _(
    "Approved budget lines of this cycle (%(lines)s) are bound to key results of the cycle %(kr_cycles)s, which would "
    "no longer cover %(range)s. Bind those budget lines to another key result first; they then go back for "
    "re-approval."
)


def _quoted(name: str) -> str:
    return gettext("“%(name)s”") % {"name": name}


def _names(lines: list[BudgetLine]) -> str:
    shown = ", ".join(_quoted(line.title) for line in lines[:5])
    return shown + (" …" if len(lines) > 5 else "")


def _cycle_names(cycles) -> str:
    return ", ".join(_quoted(name) for name in sorted({c.name for c in cycles}))


def _range(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}–{end.isoformat()}"


def key_result_cycle_guard(*, key_result: KeyResult, cycle: Cycle) -> None:
    """A key result moves to an objective of ``cycle``: refuse while it carries approved budget whose cycle the new
    one does not cover (the binding rule would no longer hold for an approval already given). The caller holds the
    key result's row lock; the lines are locked after it (the one lock order, see _lock_for_decision)."""
    lines = list(
        BudgetLine.objects.select_for_update(of=("self",))
        .filter(key_result=key_result, state=State.APPROVED)
        .select_related("cycle")
        .order_by("pk")
    )
    uncovered = [line for line in lines if not cycle.covers(line.cycle.start_date, line.cycle.end_date)]
    if uncovered:
        raise ValidationError(
            {
                "objective": [
                    KR_MOVE_UNCOVERED
                    % {
                        "lines": _names(uncovered),
                        "line_cycles": _cycle_names(line.cycle for line in uncovered),
                        "cycle": cycle.name,
                        "range": _range(cycle.start_date, cycle.end_date),
                    }
                ]
            }
        )


def cycle_dates_guard(*, cycle: Cycle, start_date: dt.date, end_date: dt.date) -> None:
    """``cycle`` is about to run from ``start_date`` to ``end_date``: every approved line must stay bound to a key
    result whose cycle covers the line's cycle, on both sides of the binding."""
    field = "start_date" if start_date != cycle.start_date else "end_date"
    # Hold the lines an approval could be deciding right now (cycle_update holds the cycle; approvals take the key
    # result and the line and never a cycle, so no lock order is inverted): an approval in flight finishes first and
    # is seen below, or starts after the new dates are committed and checks against them.
    concerned = BudgetLine.objects.filter(
        Q(cycle=cycle) | Q(key_result__objective__cycle=cycle), state__in=[State.SUBMITTED, State.APPROVED]
    ).values("pk")
    list(BudgetLine.objects.select_for_update().filter(pk__in=concerned).order_by("pk").values_list("pk", flat=True))
    # Lines approved against key results of this cycle (their own cycle is another one; the same one moves along).
    on_krs = [
        line
        for line in BudgetLine.objects.filter(key_result__objective__cycle=cycle, state=State.APPROVED)
        .exclude(cycle=cycle)
        .select_related("cycle")
        .order_by("pk")
        if not dates_cover(start_date, end_date, line.cycle.start_date, line.cycle.end_date)
    ]
    if on_krs:
        raise ValidationError(
            {
                field: [
                    CYCLE_DATES_UNCOVERED_KR
                    % {
                        "lines": _names(on_krs),
                        "line_cycles": _cycle_names(line.cycle for line in on_krs),
                        "range": _range(start_date, end_date),
                    }
                ]
            }
        )
    # Lines of this cycle approved against key results of another cycle.
    of_cycle = [
        line
        for line in BudgetLine.objects.filter(cycle=cycle, state=State.APPROVED)
        .exclude(key_result__objective__cycle=cycle)
        .select_related("key_result__objective__cycle")
        .order_by("pk")
        if not line.key_result.objective.cycle.covers(start_date, end_date)
    ]
    if of_cycle:
        raise ValidationError(
            {
                field: [
                    CYCLE_DATES_UNCOVERED_LINE
                    % {
                        "lines": _names(of_cycle),
                        "kr_cycles": _cycle_names(line.key_result.objective.cycle for line in of_cycle),
                        "range": _range(start_date, end_date),
                    }
                ]
            }
        )


@transaction.atomic
def budget_lines_unbind_key_result(*, key_result: KeyResult, actor=None) -> int:
    """A key result is being deleted: its lines that are not approved lose the binding (and a CMO's first approval
    step) and wait for a new one; each gets a "bind" audit entry naming the deleted key result. Approved lines block
    the deletion in the first place (BudgetLine.key_result's on_delete)."""
    # The key result first, then its lines: the one lock order (_lock). The cascade services hold it already;
    # other deletion paths (a cascade from an objective or company) take it here.
    list(KeyResult.objects.select_for_update().filter(pk=key_result.pk).values_list("pk"))
    lines = list(
        BudgetLine.objects.select_for_update()
        .filter(key_result=key_result)
        .exclude(state=State.APPROVED)
        .order_by("pk")
    )
    for line in lines:
        state_before = line.state
        line.key_result = None
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        line.version += 1
        line.save(update_fields=["key_result", "cmo_approved_by", "cmo_approved_at", "version", "updated_at"])
        _audit(
            line,
            Event.BIND,
            actor,
            state_before=state_before,
            reason=str(_("The key result “%(title)s” was deleted.") % {"title": key_result.title}),
        )
    return len(lines)
