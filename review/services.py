"""Every change of the weekly review's decision and action log: keyword-only, transactional, permission-checked,
``full_clean`` before saving; the change history records each save (history.tracking)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, Membership
from companies.permissions import Action, can, require_actor, role_of
from core.errors import NotFound, PermissionDenied
from core.safety import validate_dates_in_range
from core.tenancy import for_company
from objectives.models import Initiative, KeyResult, Objective

from .models import ReviewAction

EDITABLE = ("title", "decision", "owner", "due_date", "objective", "key_result", "initiative")


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def _member(company: Company, user_id) -> object:
    membership = (
        Membership.objects.for_company(company).filter(user_id=user_id, user__is_active=True).select_related("user")
    )
    found = membership.first()
    if found is None:
        raise ValidationError({"owner": _("Choose a member of this company as the owner.")})
    return found.user


def _link(company: Company, model, value, field: str):
    if value in (None, ""):
        return None
    pk = value.pk if hasattr(value, "pk") else value
    found = for_company(model, company).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("Choose one of this company's entries.")})
    return found


def _apply(action: ReviewAction, company: Company, fields: dict) -> None:
    if "title" in fields:
        action.title = fields["title"] or ""
    if "decision" in fields:
        action.decision = (fields["decision"] or "").strip()
    if "owner" in fields:
        owner = fields["owner"]
        action.owner = _member(company, owner.pk if hasattr(owner, "pk") else owner)
    if "due_date" in fields:
        if fields["due_date"] is None:
            raise ValidationError({"due_date": _("Say by when.")})
        validate_dates_in_range(due_date=fields["due_date"])
        action.due_date = fields["due_date"]
    if "objective" in fields:
        action.objective = _link(company, Objective, fields["objective"], "objective")
    if "key_result" in fields:
        action.key_result = _link(company, KeyResult, fields["key_result"], "key_result")
    if "initiative" in fields:
        action.initiative = _link(company, Initiative, fields["initiative"], "initiative")
    if action.key_result is not None and action.objective is None:
        action.objective_id = action.key_result.objective_id


@transaction.atomic
def review_action_create(
    *,
    company: Company,
    actor,
    title: str,
    owner,
    due_date: dt.date | None,
    decision: str = "",
    objective=None,
    key_result=None,
    initiative=None,
    week_start: dt.date | None = None,
) -> ReviewAction:
    """Log "who does what by when" in the review of ``week_start``'s week (default: this week)."""
    require_actor(actor, company, Action.REVIEW_ACTIONS_MANAGE)
    week = week_start_of(week_start or timezone.localdate())
    validate_dates_in_range(week_start=week)
    action = ReviewAction(company=company, week_start=week, created_by=actor)
    _apply(
        action,
        company,
        {
            "title": title,
            "decision": decision,
            "owner": owner,
            "due_date": due_date,
            "objective": objective,
            "key_result": key_result,
            "initiative": initiative,
        },
    )
    action.full_clean(exclude=["company", "created_by"])
    action.save()
    return action


def _locked(company: Company, action_id: int) -> ReviewAction:
    action = ReviewAction.objects.select_for_update().for_company(company).filter(pk=action_id).first()
    if action is None:
        raise NotFound(_("No such action."))
    return action


@transaction.atomic
def review_action_update(*, company: Company, actor, action_id: int, **fields) -> ReviewAction:
    """Change what, decision, who, by when or the links of an action."""
    require_actor(actor, company, Action.REVIEW_ACTIONS_MANAGE)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    action = _locked(company, action_id)
    _apply(action, company, fields)
    action.full_clean(exclude=["company", "created_by"])
    action.save()
    return action


@transaction.atomic
def review_action_set_done(*, company: Company, actor, action_id: int, done: bool) -> ReviewAction:
    """Mark an action done (or open again). Those who keep the log may do so for any action; everyone else for
    the actions they own."""
    action = _locked(company, action_id)
    if actor is not None and not getattr(actor, "is_superuser", False):
        role = role_of(actor, company)
        own = action.owner_id == actor.pk and can(role, Action.REVIEW_ACTION_COMPLETE_OWN)
        if not own and not can(role, Action.REVIEW_ACTIONS_MANAGE):
            if role is None:
                raise NotFound(_("No such action."))
            raise PermissionDenied(_("Only the owner or whoever keeps the review's log can complete this action."))
    wanted = ReviewAction.Status.DONE if done else ReviewAction.Status.OPEN
    if action.status == wanted:
        return action
    action.status = wanted
    action.completed_at = timezone.now() if done else None
    action.full_clean(exclude=["company", "created_by"])
    action.save(update_fields=["status", "completed_at", "updated_at"])
    return action
