"""What the budget services share: messages of the binding and four-eyes rules, the audit entry, the row lock
(one lock order), the version check and the message that tells the loser of a race who decided."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from companies.permissions import Action, can, require_actor, role_of
from core.errors import Conflict, PermissionDenied, StaleVersion
from core.people import display_name
from objectives.models import KeyResult

from ..models import BudgetAuditEntry, BudgetLine

State = BudgetLine.State
Event = BudgetAuditEntry.Event

BINDING_REQUIRED = _("A budget line can only be approved once it is bound to a key result.")
BINDING_OTHER_COMPANY = _("The key result belongs to another company.")
BINDING_CYCLE = _(
    "The key result's cycle (%(kr_cycle)s) does not cover the budget line's cycle (%(line_cycle)s); "
    "a budget line can only be approved against a key result whose cycle covers its period."
)
SELF_APPROVAL = _("Nobody may approve or reject a budget line they requested.")
OWN_VERSION = _(
    "You last changed the amount or the key result of this version of the budget line; another person must approve it."
)
SAME_PERSON_TWO_STEPS = _(
    "You gave the CMO approval of this budget line; the executive approval must come from another person."
)

# --- helpers -------------------------------------------------------------------------------------------------------


def _display(user) -> str:
    return display_name(user, nobody=gettext("the system"))


def _clock(moment: dt.datetime | None) -> str:
    return time_format(timezone.localtime(moment), "H:i") if moment else "?"


def _audit(
    line: BudgetLine, event: str, actor, *, state_before: str, reason: str = "", state_after: str | None = None
) -> BudgetAuditEntry:
    kr = line.key_result if line.key_result_id else None
    return BudgetAuditEntry.objects.create(
        company_id=line.company_id,
        line=line,
        event=event,
        actor=actor if getattr(actor, "pk", None) else None,
        amount=line.planned_amount,
        key_result=kr,
        key_result_title=kr.title if kr else "",
        state_before=state_before,
        state_after=line.state if state_after is None else state_after,
        reason=reason,
    )


def _lock(line: BudgetLine | int, *, key_results: tuple[int | None, ...] = ()) -> BudgetLine:
    """Re-read the line under a row lock: concurrent decisions on the same line queue up here.

    One lock order for everything that locks a key result and its lines: the key result rows first (by id), then
    the line. Deleting or moving a key result locks the key result and then its lines (objectives' services, the
    pre_delete signal); locking the line first here and reaching for the key result later (the audit entry's
    foreign key) deadlocked (issue 12, finding 8). ``FOR NO KEY UPDATE`` on the key result conflicts with its
    deletion and move, not with check-ins' reads or other lines' foreign keys. ``key_results``: further key results
    the caller is about to bind.
    """
    pk = line.pk if isinstance(line, BudgetLine) else line
    for _attempt in range(3):
        bound = BudgetLine.objects.filter(pk=pk).values_list("key_result_id", flat=True).get()
        wanted = sorted({kr for kr in (bound, *key_results) if kr})
        if wanted:
            list(
                KeyResult.objects.select_for_update(no_key=True)
                .filter(pk__in=wanted)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        locked = BudgetLine.objects.select_for_update().get(pk=pk)
        if locked.key_result_id == bound:
            return locked
        # Rebound between the two reads: take the new key result's lock too, in order, and look again.
    raise _decided_conflict(locked)


def _last_change(line: BudgetLine) -> BudgetAuditEntry | None:
    return BudgetAuditEntry.objects.filter(line=line).select_related("actor").order_by("-at", "-id").first()


def _check_version(line: BudgetLine, version: int | None) -> None:
    if version is None or int(version) == line.version:
        return
    last = _last_change(line)
    raise StaleVersion(
        changed_by=_display(last.actor) if last else "?",
        changed_at=last.at if last else line.updated_at,
        current={"version": line.version, "state": line.state, "planned_amount": str(line.planned_amount)},
    )


def _decided_conflict(line: BudgetLine) -> Conflict:
    """Tell the loser of a race what happened: who decided, when, and what."""
    last = _last_change(line)
    who, when = (_display(last.actor), _clock(last.at)) if last else ("?", "?")
    if line.state == State.APPROVED:
        message = gettext("Already approved by %(who)s at %(when)s.")
    elif line.state == State.REJECTED:
        message = gettext("Already rejected by %(who)s at %(when)s.")
    elif line.cmo_approved_by_id:
        message = gettext("Already approved by %(who)s at %(when)s; an executive must still approve it.")
    else:
        message = gettext("Changed by %(who)s at %(when)s.")
    return Conflict(
        message % {"who": who, "when": when},
        extra={"state": line.state, "version": line.version, "changed_by": who, "changed_at": when},
    )


def _require_edit(actor, line: BudgetLine) -> None:
    """Requesters edit their own lines; approvers (CMO, executive) edit any line of their company."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    role = role_of(actor, line.company)
    if can(role, Action.BUDGET_APPROVE):
        return
    require_actor(actor, line.company, Action.BUDGET_REQUEST)
    if line.requester_id != actor.pk:
        raise PermissionDenied(_("Only the requester or an approver may change this budget line."))


def key_result_binding_errors(*, line: BudgetLine, key_result: KeyResult | None) -> list[str]:
    """Why ``key_result`` cannot carry the approval of ``line`` (empty when it can)."""
    if key_result is None:
        return [str(BINDING_REQUIRED)]
    if key_result.company_id != line.company_id:
        return [str(BINDING_OTHER_COMPANY)]
    kr_cycle = key_result.objective.cycle
    line_cycle = line.cycle
    if not kr_cycle.covers_cycle(line_cycle):
        return [str(BINDING_CYCLE % {"kr_cycle": kr_cycle.name, "line_cycle": line_cycle.name})]
    return []


def _check_key_result_company(company_id: int, key_result: KeyResult | None) -> None:
    if key_result is not None and key_result.company_id != company_id:
        raise ValidationError({"key_result": [BINDING_OTHER_COMPANY]})


def _key(value):
    return getattr(value, "pk", value)


def _transition(line: BudgetLine, event: str, actor, *, reason: str = "", **values: Any) -> BudgetLine:
    """Set ``values`` on the locked line, make it a new version, validate, save exactly those fields and append the
    audit entry (its state before → after)."""
    state_before = line.state
    for name, value in values.items():
        setattr(line, name, value)
    line.version += 1
    line.full_clean()
    line.save(update_fields=[*values, "version", "updated_at"])
    _audit(line, event, actor, state_before=state_before, reason=reason)
    return line
