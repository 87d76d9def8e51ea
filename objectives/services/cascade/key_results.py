"""Key results: create, change, move between objectives, delete."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core import versions

from ... import guards
from ...models import Cycle, KeyResult, Objective
from .common import (
    KEY_RESULT_FIELDS,
    KEY_RESULT_FIELDS_WHILE_ACTIVE,
    ONE,
    ZERO,
    _check_version,
    _decimal,
    _full_clean,
    _lock_key_result,
    _lock_objective,
    _member,
    _renumber,
    _require_open,
    _require_planning,
    _resolve_objective,
    _touch_key_result,
    _touch_objective,
    key_result_snapshot,
)
from .objectives import _protected_message

# ------------------------------------------------------------------------------------------------- key results


def _clean_key_result(key_result: KeyResult) -> None:
    if key_result.kind not in KeyResult.Kind.values:
        raise ValidationError({"kind": _("Choose one of the key result types.")})
    if key_result.weight is None or key_result.weight <= 0:
        raise ValidationError({"weight": _("The weight must be greater than zero.")})
    if not (ZERO <= key_result.confidence <= ONE):
        raise ValidationError({"confidence": _("Confidence lies between 0.0 and 1.0.")})
    if key_result.kind == KeyResult.Kind.MILESTONE:
        if key_result.current_value not in (None, ZERO, ONE):
            raise ValidationError(
                {"kind": _("Its current value is neither 0 nor 1, so this key result cannot become a milestone.")}
            )
        key_result.start_value, key_result.target_value = ZERO, ONE
    elif key_result.kind == KeyResult.Kind.INCREASE_TO and key_result.target_value <= key_result.start_value:
        raise ValidationError({"target_value": _("For “increase to” the target must be above the start value.")})
    elif key_result.kind == KeyResult.Kind.DECREASE_TO and key_result.target_value >= key_result.start_value:
        raise ValidationError({"target_value": _("For “decrease to” the target must be below the start value.")})
    _full_clean(key_result, exclude=["company", "objective", "owner", "updated_by"])


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    title: str,
    kind: str,
    unit: str = KeyResult.Unit.NUMBER,
    start_value=ZERO,
    target_value=ONE,
    weight=ONE,
    owner=None,
    confidence=Decimal("0.5"),
    actor,
) -> KeyResult:
    company = objective.company
    require_actor(actor, company, Action.CASCADE_EDIT)
    locked = _lock_objective(objective)
    _require_planning(locked.cycle, _("adding a key result"))
    key_result = KeyResult(
        company=company,
        objective=locked,
        title=(title or "").strip(),
        kind=kind,
        unit=unit or KeyResult.Unit.NUMBER,
        start_value=_decimal(start_value if start_value is not None else ZERO, "start_value"),
        target_value=_decimal(target_value, "target_value"),
        weight=_decimal(weight, "weight"),
        confidence=_decimal(confidence, "confidence"),
        owner=_member(company, owner, "owner"),
        position=KeyResult.objects.filter(objective=locked).count(),
        updated_by=actor,
    )
    _clean_key_result(key_result)
    key_result.save()
    _touch_objective(locked, actor, [])
    return key_result


@transaction.atomic
def key_result_update(*, key_result: KeyResult, version: int, actor, **changes) -> KeyResult:
    """Change a key result; kind, unit, start, target and weight are fixed while the cycle is active."""
    unknown = set(changes) - set(KEY_RESULT_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    require_actor(actor, key_result.company, Action.CASCADE_EDIT)
    locked = _lock_key_result(key_result)
    _check_version(locked, version, key_result_snapshot)
    cycle = locked.objective.cycle
    _require_open(cycle)
    fields = []
    for field, value in changes.items():
        if field == "owner":
            value = _member(locked.company, value, "owner")
            if locked.owner_id != (value.pk if value else None):
                locked.owner = value
                fields.append(field)
            continue
        if field in ("start_value", "target_value", "weight", "confidence"):
            value = _decimal(value, field)
        if field == "title" and isinstance(value, str):
            value = value.strip()
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            fields.append(field)
    if not fields:
        return locked
    if cycle.state != Cycle.State.PLANNING and not set(fields) <= KEY_RESULT_FIELDS_WHILE_ACTIVE:
        _require_planning(cycle, _("changing type, unit, start, target or weight of a key result"))
    before = (locked.start_value, locked.target_value)
    _clean_key_result(locked)
    if (locked.start_value, locked.target_value) != before:
        fields = sorted({*fields, "start_value", "target_value"})
    _touch_key_result(locked, actor, fields)
    return locked


@transaction.atomic
def key_result_move(*, key_result: KeyResult, version: int, objective: Objective, position: int, actor) -> KeyResult:
    """Move a key result to ``objective`` (may be the same) at ``position`` among its key results."""
    company = key_result.company
    require_actor(actor, company, Action.CASCADE_EDIT)
    locked = _lock_key_result(key_result)
    _check_version(locked, version, key_result_snapshot)
    _require_planning(locked.objective.cycle, _("moving a key result"))
    target = _resolve_objective(company, objective, "objective")
    if target is None:
        raise ValidationError({"objective": _("Choose the objective to move the key result to.")})
    _require_planning(target.cycle, _("moving a key result"))
    if target.cycle_id != locked.objective.cycle_id:
        # Other apps' rules that hang on the key result's cycle (approved budget) are checked before anything moves.
        guards.check_key_result_cycle(key_result=locked, cycle=target.cycle)
    try:
        position = max(0, int(position))
    except (TypeError, ValueError):
        raise ValidationError({"position": _("The position must be a whole number.")}) from None
    old_objective_id = locked.objective_id
    siblings = list(
        KeyResult.objects.select_for_update().filter(objective=target).exclude(pk=locked.pk).order_by("position", "id")
    )
    position = min(position, len(siblings))
    fields = ["position"]
    if old_objective_id != target.pk:
        fields.append("objective")
        _renumber(
            list(
                KeyResult.objects.select_for_update()
                .filter(objective_id=old_objective_id)
                .exclude(pk=locked.pk)
                .order_by("position", "id")
            )
        )
    locked.objective = target
    siblings.insert(position, locked)
    others = []
    for index, sibling in enumerate(siblings):
        if sibling is not locked and sibling.position != index:
            sibling.position = index
            others.append(sibling)
    if others:
        KeyResult.objects.bulk_update(others, ["position"])
        versions.bump("okr", company_id=locked.company_id)  # bulk_update sends no signal
    locked.position = position
    _touch_key_result(locked, actor, fields)
    return locked


@transaction.atomic
def key_result_delete(*, key_result: KeyResult, version: int, actor) -> None:
    require_actor(actor, key_result.company, Action.CASCADE_EDIT)
    locked = _lock_key_result(key_result)
    _check_version(locked, version, key_result_snapshot)
    _require_planning(locked.objective.cycle, _("deleting a key result"))
    objective_id = locked.objective_id
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError(_protected_message(), code="protected") from None
    _renumber(list(KeyResult.objects.select_for_update().filter(objective_id=objective_id).order_by("position", "id")))
