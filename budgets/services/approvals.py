"""Decisions on submitted budget lines: approve (CMO up to the limit, executive above it) and reject; four eyes."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.permissions import Action, can, require_actor, role_of
from core.errors import PermissionDenied
from objectives.models import KeyResult

from ..models import BudgetLine
from .base import (
    OWN_VERSION,
    SAME_PERSON_TWO_STEPS,
    SELF_APPROVAL,
    Event,
    State,
    _check_version,
    _decided_conflict,
    _lock,
    _transition,
    key_result_binding_errors,
)
from .budget_settings import budget_settings_for


def _require_decider(actor, line: BudgetLine) -> None:
    if actor is None or not getattr(actor, "pk", None):
        raise ValidationError({"approver": [_("An approval needs a person who approves.")]})
    require_actor(actor, line.company, Action.BUDGET_APPROVE)
    if line.requester_id == actor.pk:
        raise PermissionDenied(SELF_APPROVAL, field="approver")


def approval_refusal(*, line: BudgetLine, user) -> str | None:
    """Why ``user`` may not approve this version of ``line`` although their role could (four eyes), else None.
    Pages use it to offer the approve button only to someone who may press it."""
    if user is None or not getattr(user, "pk", None):
        return None
    if line.requester_id == user.pk:
        return str(SELF_APPROVAL)
    if line.last_changed_by_id == user.pk:
        return str(OWN_VERSION)
    if line.cmo_approved_by_id == user.pk:
        return str(SAME_PERSON_TWO_STEPS)
    return None


@transaction.atomic
def budget_line_approve(
    *, line: BudgetLine | int, actor, version: int | None = None, now: dt.datetime | None = None
) -> BudgetLine:
    """Approve a submitted line.

    A CMO (BUDGET_APPROVE) approves up to the company's ``cmo_approval_limit``. Above it an executive
    (BUDGET_APPROVE_ABOVE_THRESHOLD) must approve: directly, or as a second step after the CMO's approval
    (recorded in ``cmo_approved_by/at`` and the audit event "approve_cmo"). The row lock plus the state and version
    check make two simultaneous approvers queue: exactly one decision wins, the other gets a Conflict that says
    who decided when.
    """
    line = _lock(line)
    _require_decider(actor, line)
    if line.state != State.SUBMITTED:
        if line.state in (State.APPROVED, State.REJECTED):
            raise _decided_conflict(line)
        raise ValidationError({"state": [_("Only submitted budget lines can be approved.")]})
    _check_version(line, version)
    if line.last_changed_by_id == actor.pk:
        raise PermissionDenied(OWN_VERSION, field="approver")
    kr = KeyResult.objects.select_related("objective__cycle").filter(pk=line.key_result_id).first()
    errors = key_result_binding_errors(line=line, key_result=kr)
    if errors:
        raise ValidationError({"key_result": errors})
    now = now or timezone.now()
    limit = budget_settings_for(line.company).cmo_approval_limit
    above_limit = line.planned_amount > limit
    may_approve_above = getattr(actor, "is_superuser", False) or can(
        role_of(actor, line.company), Action.BUDGET_APPROVE_ABOVE_THRESHOLD
    )
    if above_limit and not may_approve_above:
        if line.cmo_approved_by_id:
            raise _decided_conflict(line)
        return _transition(line, Event.APPROVE_CMO, actor, cmo_approved_by=actor, cmo_approved_at=now)
    if line.cmo_approved_by_id == actor.pk:
        raise PermissionDenied(SAME_PERSON_TWO_STEPS, field="approver")
    return _transition(line, Event.APPROVE, actor, state=State.APPROVED, approver=actor, approved_at=now)


@transaction.atomic
def budget_line_reject(*, line: BudgetLine | int, actor, reason: str, version: int | None = None) -> BudgetLine:
    """Reject a submitted line with a reason. The requester can revise it and submit it again."""
    line = _lock(line)
    _require_decider(actor, line)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Please give a reason for the rejection.")]})
    if line.state != State.SUBMITTED:
        if line.state in (State.APPROVED, State.REJECTED):
            raise _decided_conflict(line)
        raise ValidationError({"state": [_("Only submitted budget lines can be rejected.")]})
    _check_version(line, version)
    return _transition(
        line,
        Event.REJECT,
        actor,
        reason=reason.strip(),
        state=State.REJECTED,
        cmo_approved_by=None,
        cmo_approved_at=None,
    )
