"""Budget lines: draft, edit, bind to a key result, submit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.permissions import Action, require_actor
from core.errors import PermissionDenied
from objectives.models import Cycle, Initiative, KeyResult

from ..models import BudgetLine, Channel
from .base import (
    BINDING_OTHER_COMPANY,
    Event,
    State,
    _audit,
    _check_key_result_company,
    _check_version,
    _decided_conflict,
    _key,
    _lock,
    _require_edit,
    _transition,
)


@transaction.atomic
def budget_line_create(
    *,
    company: Company,
    cycle: Cycle,
    title: str,
    channel: Channel,
    planned_amount: Decimal,
    actor,
    initiative: Initiative | None = None,
    key_result: KeyResult | None = None,
    requester=None,
    submit: bool = False,
) -> BudgetLine:
    """Draft a line (and submit it right away with ``submit=True``). Binding is optional until approval.

    The requester is the acting user: nobody files a line in another person's name. Only the system itself
    (``actor=None``: demo data, an operator's script) names a ``requester``."""
    require_actor(actor, company, Action.BUDGET_REQUEST)
    if requester is not None and actor is not None and requester.pk != actor.pk:
        raise PermissionDenied(_("You can only request budget lines in your own name."), field="requester")
    requester = requester or actor
    if requester is None:
        raise ValidationError({"requester": [_("A budget line needs a requester.")]})
    errors: dict[str, list] = {}
    if cycle.company_id != company.pk:
        errors["cycle"] = [_("The cycle belongs to another company.")]
    if channel.company_id != company.pk:
        errors["channel"] = [_("The channel belongs to another company.")]
    if initiative is not None and initiative.company_id != company.pk:
        errors["initiative"] = [_("The initiative belongs to another company.")]
    if key_result is not None and key_result.company_id != company.pk:
        errors["key_result"] = [BINDING_OTHER_COMPANY]
    if errors:
        raise ValidationError(errors)
    line = BudgetLine(
        company=company,
        cycle=cycle,
        title=(title or "").strip(),
        channel=channel,
        initiative=initiative,
        key_result=key_result,
        planned_amount=planned_amount,
        requester=requester,
        last_changed_by=requester,
    )
    line.full_clean()
    line.save()
    _audit(line, Event.CREATE, actor, state_before="")
    if submit:
        line = budget_line_submit(line=line, actor=actor)
    return line


_EDITABLE = ("title", "channel", "initiative", "key_result", "planned_amount", "cycle")


@transaction.atomic
def budget_line_update(*, line: BudgetLine | int, actor, version: int | None = None, **changes: Any) -> BudgetLine:
    """Change a line's details. Changing the amount or the key result of an approved line sends it back to
    ``submitted`` for re-approval (audit "reopen"); on a line half-way through the two-step approval the CMO's
    step is void as well. ``version`` (optimistic concurrency) answers a stale edit with a 409."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    line = _lock(line, key_results=(_key(changes.get("key_result")),))
    _require_edit(actor, line)
    _check_version(line, version)
    changed = [name for name, value in changes.items() if _value(line, name) != _key(value)]
    if not changed:
        return line
    company_id = line.company_id
    if "key_result" in changed:
        _check_key_result_company(company_id, changes["key_result"])
    for name in ("cycle", "channel", "initiative"):
        if name in changed and changes[name] is not None and changes[name].company_id != company_id:
            raise ValidationError({name: [_("This belongs to another company.")]})
    if "cycle" in changed and line.state != State.DRAFT:
        raise ValidationError({"cycle": [_("The cycle can only be changed while the line is a draft.")]})
    state_before = line.state
    for name in changed:
        setattr(line, name, changes[name])
    money_or_binding = {"planned_amount", "key_result"} & set(changed)
    fields = [*changed, "version", "updated_at"]
    if money_or_binding and getattr(actor, "pk", None):
        # A new version: its author may not approve it (budget_line_no_approval_by_last_changer).
        line.last_changed_by = actor
        fields.append("last_changed_by")
    reopened = False
    if money_or_binding and line.state == State.APPROVED:
        line.state = State.SUBMITTED
        line.approver = None
        line.approved_at = None
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        fields += ["state", "approver", "approved_at", "cmo_approved_by", "cmo_approved_at"]
        reopened = True
    elif money_or_binding and line.cmo_approved_by_id:
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        fields += ["cmo_approved_by", "cmo_approved_at"]
    line.version += 1
    line.full_clean()
    line.save(update_fields=fields)
    # The details first, in the state they were made in; the state change itself is the "reopen" entry, so the
    # trail reads as one unbroken chain of state_before → state_after.
    if "key_result" in changed:
        _audit(line, Event.BIND, actor, state_before=state_before, state_after=state_before)
    if "planned_amount" in changed:
        _audit(line, Event.AMOUNT, actor, state_before=state_before, state_after=state_before)
    if set(changed) - money_or_binding:
        _audit(line, Event.EDIT, actor, state_before=state_before, state_after=state_before)
    if reopened:
        _audit(line, Event.REOPEN, actor, state_before=state_before)
    return line


def _value(line: BudgetLine, name: str):
    if name in ("channel", "initiative", "key_result", "cycle"):
        return getattr(line, f"{name}_id")
    if name == "planned_amount":
        return line.planned_amount
    return getattr(line, name)


def budget_line_bind(*, line: BudgetLine | int, key_result: KeyResult | None, actor, version: int | None = None):
    """Bind a line to a key result (or unbind it with ``None``)."""
    return budget_line_update(line=line, actor=actor, version=version, key_result=key_result)


@transaction.atomic
def budget_line_submit(*, line: BudgetLine | int, actor, version: int | None = None) -> BudgetLine:
    """draft or rejected → submitted. Unbound lines may be submitted; they wait for binding in the queue."""
    line = _lock(line)
    _require_edit(actor, line)
    _check_version(line, version)
    if line.state == State.SUBMITTED:
        raise ValidationError({"state": [_("This budget line is already submitted.")]})
    if line.state == State.APPROVED:
        raise _decided_conflict(line)
    return _transition(line, Event.SUBMIT, actor, state=State.SUBMITTED, cmo_approved_by=None, cmo_approved_at=None)
