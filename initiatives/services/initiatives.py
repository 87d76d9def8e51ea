"""Every state change of initiatives, their ratings and the cycle's rating round.

Rules that span rows live here: activation needs a key result of the same company and cycle and respects the
cycle's focus limit; ratings are accepted only while the round is open. Both take the cycle's settings row
``FOR UPDATE`` first, so two simultaneous activations (or a rating racing the close) are serialised.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from companies.models import Company, Membership
from companies.permissions import Action, require_actor
from objectives.models import Cycle, KeyResult

from ..models import SCALE_MAX, SCALE_MIN, Initiative, InitiativeRating, PrioritySettings

State = Initiative.State
_UNSET = object()

# to-state -> the states it can be reached from
TRANSITIONS: dict[str, set[str]] = {
    State.ACTIVE: {State.PROPOSED, State.PAUSED, State.DROPPED},
    State.PAUSED: {State.ACTIVE},
    State.DONE: {State.ACTIVE, State.PAUSED},
    State.DROPPED: {State.PROPOSED, State.ACTIVE, State.PAUSED},
}
RATEABLE_STATES = {State.PROPOSED, State.ACTIVE, State.PAUSED}


def _lock_settings(cycle: Cycle) -> PrioritySettings:
    """The cycle's settings row, created if missing, locked until the transaction ends."""
    PrioritySettings.objects.get_or_create(cycle=cycle, defaults={"company_id": cycle.company_id})
    return PrioritySettings.objects.select_for_update().get(cycle=cycle)


def _scale_value(value, field: str, *, allow_half: bool = False) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number from 1 to 5.")}) from None
    if not number.is_finite() or number < SCALE_MIN or number > SCALE_MAX:
        raise ValidationError({field: _("Enter a number from 1 to 5.")})
    step = Decimal("0.5") if allow_half else Decimal("1")
    if number % step:
        message = _("Use whole or half steps (e.g. 3 or 3.5).") if allow_half else _("Use a whole number.")
        raise ValidationError({field: message})
    return number


def _check_owner(company: Company, owner) -> None:
    if owner is not None and not Membership.objects.filter(company=company, user=owner).exists():
        raise ValidationError({"owner": _("The owner must be a member of this company.")})


def _check_key_results(company: Company, cycle: Cycle, key_results: Iterable[KeyResult]) -> list[KeyResult]:
    key_results = list(key_results)
    ids = {kr.pk for kr in key_results}
    valid = set(
        KeyResult.objects.filter(company=company, objective__cycle=cycle, pk__in=ids).values_list("pk", flat=True)
    )
    if ids - valid:
        raise ValidationError({"key_results": _("Choose key results of this company and this cycle.")})
    return key_results


@transaction.atomic
def initiative_create(
    *,
    company: Company,
    cycle: Cycle,
    title: str,
    actor,
    description: str = "",
    owner=None,
    key_results: Iterable[KeyResult] = (),
    estimated_cost: Decimal | None = None,
    effort_days: Decimal | None = None,
) -> Initiative:
    require_actor(actor, company, Action.INITIATIVE_MANAGE)
    if cycle.company_id != company.pk:
        raise ValidationError({"cycle": _("Choose a cycle of this company.")})
    _check_owner(company, owner)
    key_results = _check_key_results(company, cycle, key_results)
    initiative = Initiative(
        company=company,
        cycle=cycle,
        title=(title or "").strip(),
        description=description or "",
        owner=owner,
        estimated_cost=estimated_cost,
        effort_days=effort_days,
    )
    initiative.full_clean()
    initiative.save()
    initiative.key_results.set(key_results)
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    actor,
    title=_UNSET,
    description=_UNSET,
    owner=_UNSET,
    key_results=_UNSET,
    estimated_cost=_UNSET,
    effort_days=_UNSET,
) -> Initiative:
    require_actor(actor, initiative.company, Action.INITIATIVE_MANAGE)
    initiative = (
        Initiative.objects.select_for_update(of=("self",)).select_related("company", "cycle").get(pk=initiative.pk)
    )
    changed = ["updated_at"]
    for name, value in [
        ("title", title),
        ("description", description),
        ("owner", owner),
        ("estimated_cost", estimated_cost),
        ("effort_days", effort_days),
    ]:
        if value is _UNSET:
            continue
        if name == "title":
            value = (value or "").strip()
        if name == "description":
            value = value or ""
        if name == "owner":
            _check_owner(initiative.company, value)
        setattr(initiative, name, value)
        changed.append(name)
    if key_results is not _UNSET:
        key_results = _check_key_results(initiative.company, initiative.cycle, key_results)
        if initiative.state == State.ACTIVE and not key_results:
            raise ValidationError(
                {"key_results": _("An active initiative must serve at least one key result. Pause it first.")}
            )
    initiative.full_clean()
    initiative.save(update_fields=changed)
    if key_results is not _UNSET:
        initiative.key_results.set(key_results)
    return initiative


def _transition(initiative: Initiative, to_state: str, actor) -> Initiative:
    require_actor(actor, initiative.company, Action.INITIATIVE_MANAGE)
    settings = _lock_settings(initiative.cycle)
    initiative = (
        Initiative.objects.select_for_update(of=("self",)).select_related("company", "cycle").get(pk=initiative.pk)
    )
    if initiative.state == to_state:
        return initiative
    if initiative.state not in TRANSITIONS[to_state]:
        raise ValidationError(
            {
                "state": _("A %(current)s initiative cannot become %(target)s.")
                % {"current": initiative.get_state_display().lower(), "target": State(to_state).label.lower()}
            }
        )
    if to_state == State.ACTIVE:
        if not initiative.key_results.filter(company=initiative.company, objective__cycle=initiative.cycle).exists():
            raise ValidationError(
                {"key_results": _("Bind at least one key result of this cycle before activating the initiative.")}
            )
        limit = settings.focus_limit
        active = Initiative.objects.filter(cycle=initiative.cycle, state=State.ACTIVE).count()
        if limit is not None and active >= limit:
            raise ValidationError(
                {
                    "state": ngettext(
                        "The focus limit of this cycle is %(limit)d active initiative and it is reached. "
                        "Pause, finish or drop one before activating another.",
                        "The focus limit of this cycle is %(limit)d active initiatives and it is reached. "
                        "Pause, finish or drop one before activating another.",
                        limit,
                    )
                    % {"limit": limit}
                },
                code="focus_limit",
            )
    initiative.state = to_state
    initiative.full_clean()
    initiative.save(update_fields=["state", "updated_at"])
    return initiative


@transaction.atomic
def initiative_activate(*, initiative: Initiative, actor) -> Initiative:
    return _transition(initiative, State.ACTIVE, actor)


@transaction.atomic
def initiative_pause(*, initiative: Initiative, actor) -> Initiative:
    return _transition(initiative, State.PAUSED, actor)


@transaction.atomic
def initiative_complete(*, initiative: Initiative, actor) -> Initiative:
    return _transition(initiative, State.DONE, actor)


@transaction.atomic
def initiative_drop(*, initiative: Initiative, actor) -> Initiative:
    return _transition(initiative, State.DROPPED, actor)


STATE_ACTIONS = {
    "activate": initiative_activate,
    "pause": initiative_pause,
    "done": initiative_complete,
    "drop": initiative_drop,
}


@transaction.atomic
def initiative_rate(*, initiative: Initiative, contribution, effort, actor) -> tuple[InitiativeRating, bool]:
    """Record (or change) the actor's rating. Returns the rating and whether it was new."""
    require_actor(actor, initiative.company, Action.INITIATIVE_RATE)
    if actor is None or not getattr(actor, "pk", None):
        raise ValidationError(_("Ratings belong to a person; sign in to rate."))
    errors = {}
    values = {}
    for name, value in [("contribution", contribution), ("effort", effort)]:
        try:
            number = _scale_value(value, name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if number is None:
            errors[name] = [_("Choose a value from 1 to 5.")]
        else:
            values[name] = int(number)
    if errors:
        raise ValidationError(errors)
    settings = _lock_settings(initiative.cycle)
    if not settings.is_open:
        raise ValidationError(_("Rating is closed for this cycle. Your ratings can no longer be changed."))
    initiative = Initiative.objects.select_related("company").get(pk=initiative.pk)
    if initiative.state not in RATEABLE_STATES:
        raise ValidationError(
            _("A %(state)s initiative is no longer rated.") % {"state": initiative.get_state_display().lower()}
        )
    rating = InitiativeRating.objects.select_for_update().filter(initiative=initiative, rater=actor).first()
    created = rating is None
    if created:
        rating = InitiativeRating(company=initiative.company, initiative=initiative, rater=actor, **values)
        rating.full_clean()
        rating.save()
    else:
        rating.contribution, rating.effort = values["contribution"], values["effort"]
        rating.full_clean()
        rating.save(update_fields=["contribution", "effort", "updated_at"])
    return rating, created


@transaction.atomic
def initiative_set_final_values(*, initiative: Initiative, contribution, effort, actor) -> Initiative:
    """The facilitator's decision after the discussion; overrides the medians. Empty values clear it."""
    require_actor(actor, initiative.company, Action.RATING_MANAGE)
    errors = {}
    values = {}
    for name, value in [("final_contribution", contribution), ("final_effort", effort)]:
        try:
            values[name] = _scale_value(value, name, allow_half=True)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    initiative.final_contribution = values["final_contribution"]
    initiative.final_effort = values["final_effort"]
    if initiative.has_final_values:
        initiative.final_set_by = actor if getattr(actor, "pk", None) else None
        initiative.final_set_at = timezone.now()
    else:
        initiative.final_set_by = None
        initiative.final_set_at = None
    initiative.full_clean()
    initiative.save(update_fields=["final_contribution", "final_effort", "final_set_by", "final_set_at", "updated_at"])
    return initiative


def _round_change(cycle: Cycle, actor, **changes) -> PrioritySettings:
    require_actor(actor, cycle.company, Action.RATING_MANAGE)
    settings = _lock_settings(cycle)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.updated_by = actor if getattr(actor, "pk", None) else None
    settings.full_clean()
    settings.save(update_fields=[*changes, "updated_by", "updated_at"])
    return settings


@transaction.atomic
def rating_round_open(*, cycle: Cycle, actor) -> PrioritySettings:
    return _round_change(cycle, actor, rating_state=PrioritySettings.RatingState.OPEN)


@transaction.atomic
def rating_round_close(*, cycle: Cycle, actor) -> PrioritySettings:
    return _round_change(cycle, actor, rating_state=PrioritySettings.RatingState.CLOSED)


@transaction.atomic
def rating_round_reveal(*, cycle: Cycle, actor) -> PrioritySettings:
    return _round_change(cycle, actor, revealed=True)


@transaction.atomic
def rating_round_conceal(*, cycle: Cycle, actor) -> PrioritySettings:
    return _round_change(cycle, actor, revealed=False)


ROUND_ACTIONS = {
    "open": rating_round_open,
    "close": rating_round_close,
    "reveal": rating_round_reveal,
    "conceal": rating_round_conceal,
}


@transaction.atomic
def priority_settings_update(*, cycle: Cycle, actor, focus_limit=_UNSET, midpoint=_UNSET) -> PrioritySettings:
    """Focus limit (empty = no limit) and quadrant midpoint (between 1 and 5, default 3)."""
    require_actor(actor, cycle.company, Action.INITIATIVE_MANAGE)
    changes = {}
    if focus_limit is not _UNSET:
        if focus_limit in (None, ""):
            changes["focus_limit"] = None
        else:
            try:
                limit = int(str(focus_limit))
            except ValueError:
                raise ValidationError({"focus_limit": _("Enter a whole number of 1 or more.")}) from None
            if limit < 1:
                raise ValidationError({"focus_limit": _("Enter a whole number of 1 or more.")})
            changes["focus_limit"] = limit
    if midpoint is not _UNSET:
        try:
            value = Decimal(str(midpoint))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or not (SCALE_MIN < value < SCALE_MAX) or value % Decimal("0.5"):
            raise ValidationError({"midpoint": _("Enter a midpoint between 1 and 5 in half steps, e.g. 3 or 2.5.")})
        changes["midpoint"] = value
    require_actor(actor, cycle.company, Action.INITIATIVE_MANAGE)
    settings = _lock_settings(cycle)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.updated_by = actor if getattr(actor, "pk", None) else None
    settings.full_clean()
    settings.save(update_fields=[*changes, "updated_by", "updated_at"])
    return settings
