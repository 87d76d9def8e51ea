"""Cycles: create, change, the state transitions (activate, reopen, close with frozen final scores) and carry-over
into a later cycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company
from companies.permissions import Action, require_actor
from core import versions

from ... import guards
from ...models import Cycle, KeyResult, Objective, ObjectiveLink
from ...models.cascade import dates_cover
from ...selectors.cascade import cascade_tree, walk
from .common import ONE, ZERO, _full_clean, _require_open, _require_planning

# ------------------------------------------------------------------------------------------------------ cycles


@transaction.atomic
def cycle_create(
    *,
    company: Company,
    name: str,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    parent: Cycle | None = None,
    actor,
) -> Cycle:
    require_actor(actor, company, Action.CYCLE_MANAGE)
    cycle = Cycle(
        company=company,
        name=(name or "").strip(),
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        parent=parent,
    )
    _full_clean(cycle, exclude=["company", "parent"])
    if end_date < start_date:
        raise ValidationError({"end_date": _("The cycle must end on or after its start date.")})
    if parent is not None:
        if parent.company_id != company.pk:
            raise ValidationError({"parent": _("The parent cycle belongs to another company.")})
        if not parent.covers(start_date, end_date):
            raise ValidationError(
                {
                    "parent": _("A cycle must lie within its parent cycle “%(parent)s” (%(start)s–%(end)s).")
                    % {"parent": parent.name, "start": parent.start_date, "end": parent.end_date}
                }
            )
    if Cycle.objects.filter(company=company, name=cycle.name).exists():
        raise ValidationError({"name": _("A cycle with this name exists already.")})
    cycle.save()
    return cycle


def _date_range(cycle: Cycle) -> str:
    return f"{cycle.start_date.isoformat()}–{cycle.end_date.isoformat()}"


@transaction.atomic
def cycle_update(
    *,
    cycle: Cycle,
    actor,
    name: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Cycle:
    """Rename a cycle (until it is closed) or change its dates (in planning only: the dates frame everything in it).

    New dates must still lie within the parent cycle and cover the child cycles, keep every alignment between
    objectives of different cycles inside a covering cycle, and satisfy the guards other apps register
    (objectives.guards: approved budget stays bound to a key result whose cycle covers the line's).
    """
    require_actor(actor, cycle.company, Action.CYCLE_MANAGE)
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _require_open(locked)
    fields: list[str] = []
    if name is not None and name.strip() != locked.name:
        locked.name = name.strip()  # normalised by full_clean (TitleField) below, then checked for uniqueness
        fields.append("name")
    start = start_date if start_date is not None else locked.start_date
    end = end_date if end_date is not None else locked.end_date
    if (start, end) != (locked.start_date, locked.end_date):
        field = "start_date" if start != locked.start_date else "end_date"
        _require_planning(locked, _("changing the dates of a cycle"))
        if end < start:
            raise ValidationError({"end_date": _("The cycle must end on or after its start date.")})
        parent = locked.parent
        if parent is not None and not parent.covers(start, end):
            raise ValidationError(
                {
                    field: _("A cycle must lie within its parent cycle “%(parent)s” (%(start)s–%(end)s).")
                    % {"parent": parent.name, "start": parent.start_date, "end": parent.end_date}
                }
            )
        children = Cycle.objects.filter(parent=locked).order_by("start_date", "pk")
        outside = [c for c in children if not dates_cover(start, end, c.start_date, c.end_date)]
        if outside:
            raise ValidationError(
                {
                    field: _("The cycle must still cover its child cycles: %(cycles)s.")
                    % {
                        "cycles": ", ".join(
                            _("“%(name)s” (%(range)s)") % {"name": c.name, "range": _date_range(c)} for c in outside[:5]
                        )
                    }
                }
            )
        # Alignment across cycles: a parent objective's cycle covers its children's cycle (_check_parent).
        parents_elsewhere = (
            Objective.objects.filter(cycle=locked, parent__isnull=False)
            .exclude(parent__cycle=locked)
            .select_related("parent__cycle")
            .order_by("pk")
        )
        for child in parents_elsewhere:
            if not child.parent.cycle.covers(start, end):
                raise ValidationError(
                    {
                        field: _(
                            "“%(objective)s” is aligned to “%(parent)s” of the cycle “%(parent_cycle)s” "
                            "(%(range)s), which would no longer cover this cycle."
                        )
                        % {
                            "objective": child.title,
                            "parent": child.parent.title,
                            "parent_cycle": child.parent.cycle.name,
                            "range": _date_range(child.parent.cycle),
                        }
                    }
                )
        children_elsewhere = (
            Objective.objects.filter(parent__cycle=locked)
            .exclude(cycle=locked)
            .select_related("cycle", "parent")
            .order_by("pk")
        )
        for child in children_elsewhere:
            if not dates_cover(start, end, child.cycle.start_date, child.cycle.end_date):
                raise ValidationError(
                    {
                        field: _(
                            "“%(objective)s” of the cycle “%(child_cycle)s” (%(range)s) is aligned to “%(parent)s” "
                            "of this cycle, which would no longer cover it."
                        )
                        % {
                            "objective": child.title,
                            "child_cycle": child.cycle.name,
                            "range": _date_range(child.cycle),
                            "parent": child.parent.title,
                        }
                    }
                )
        guards.check_cycle_dates(cycle=locked, start_date=start, end_date=end)
        locked.start_date, locked.end_date = start, end
        fields += ["start_date", "end_date"]
    if not fields:
        return locked
    _full_clean(locked, exclude=["company", "parent"])
    if "name" in fields and (
        Cycle.objects.filter(company_id=locked.company_id, name=locked.name).exclude(pk=locked.pk).exists()
    ):
        raise ValidationError({"name": _("A cycle with this name exists already.")})
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


def _cycle_transition(cycle: Cycle, actor, source: str, target: str, message: str) -> Cycle:
    require_actor(actor, cycle.company, Action.CYCLE_MANAGE)
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if locked.state != source:
        raise ValidationError({"state": message % {"cycle": locked.name, "state": locked.get_state_display()}})
    locked.state = target
    fields = ["state", "updated_at"]
    if target == Cycle.State.CLOSED:
        locked.closed_at = timezone.now()
        fields.append("closed_at")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def cycle_activate(*, cycle: Cycle, actor) -> Cycle:
    """planning → active: the structure and the targets are locked, check-ins go on."""
    return _cycle_transition(
        cycle,
        actor,
        Cycle.State.PLANNING,
        Cycle.State.ACTIVE,
        _("Only a cycle in planning can be activated; “%(cycle)s” is %(state)s."),
    )


@transaction.atomic
def cycle_reopen(*, cycle: Cycle, actor) -> Cycle:
    """active → planning: the structure becomes editable again."""
    return _cycle_transition(
        cycle,
        actor,
        Cycle.State.ACTIVE,
        Cycle.State.PLANNING,
        _("Only an active cycle can go back to planning; “%(cycle)s” is %(state)s."),
    )


@transaction.atomic
def cycle_close(*, cycle: Cycle, actor) -> Cycle:
    """active → closed: read-only from now on; the final score of every objective and key result is frozen."""
    closed = _cycle_transition(
        cycle,
        actor,
        Cycle.State.ACTIVE,
        Cycle.State.CLOSED,
        _("Only an active cycle can be closed; “%(cycle)s” is %(state)s."),
    )
    objectives, key_results = [], []
    for node in walk(cascade_tree(company=closed.company, cycle=closed)):
        # the tree holds read-only rows: bulk_update needs only the primary key and the changed field
        objectives.append(Objective(pk=node.id, final_score=node.progress))
        for kr_node in node.key_results:
            key_results.append(KeyResult(pk=kr_node.key_result.pk, final_score=kr_node.progress))
    quantum = Decimal("0.0001")
    for item in [*objectives, *key_results]:
        item.final_score = min(ONE, max(ZERO, item.final_score)).quantize(quantum)
    Objective.objects.bulk_update(objectives, ["final_score"], batch_size=500)
    KeyResult.objects.bulk_update(key_results, ["final_score"], batch_size=500)
    versions.bump("okr", company_id=closed.company_id)  # bulk_update sends no signal
    return closed


@transaction.atomic
def cycle_carry_over(
    *, source: Cycle, target: Cycle, objective_ids: Iterable[int] | None = None, actor
) -> list[Objective]:
    """Copy objectives and their key results from ``source`` into ``target`` (in planning).

    Default: the unfinished objectives (progress < 1). Key results: the unfinished ones, each with its current value
    as the new start value (when an objective has only finished key results, all of them are copied with their
    original start). Alignments follow to the copied target, or stay with a target whose cycle covers ``target``.
    The tree is kept where the parent is copied too; otherwise an objective keeps its parent when
    that parent's cycle covers the target cycle, else it becomes a top-level objective. An objective that was carried
    into ``target`` before is not copied twice.
    """
    company = source.company
    require_actor(actor, company, Action.CYCLE_MANAGE)
    if target.company_id != company.pk:
        raise ValidationError({"target": _("The target cycle belongs to another company.")})
    if target.pk == source.pk:
        raise ValidationError({"target": _("Choose a different cycle to carry over into.")})
    target = Cycle.objects.select_for_update().get(pk=target.pk)
    if target.state != Cycle.State.PLANNING:
        raise ValidationError({"target": _("Objectives can only be carried over into a cycle in planning.")})
    nodes = list(walk(cascade_tree(company=company, cycle=source)))
    if objective_ids is None:
        chosen = {node.id for node in nodes if node.progress < ONE}
    else:
        chosen = {int(pk) for pk in objective_ids}
        unknown = chosen - {node.id for node in nodes}
        if unknown:
            raise ValidationError(
                {
                    "objective_ids": _("These objectives are not part of the source cycle: %(ids)s.")
                    % {"ids": ", ".join(str(pk) for pk in sorted(unknown))}
                }
            )
    already = set(
        Objective.objects.filter(cycle=target, carried_from_id__in=chosen).values_list("carried_from_id", flat=True)
    )
    copies: dict[int, Objective] = {}
    created: list[Objective] = []
    next_position: dict[int | None, int] = {}

    def position_under(parent_id: int | None) -> int:
        if parent_id not in next_position:
            siblings = (
                Objective.objects.filter(parent_id=parent_id)
                if parent_id
                else Objective.objects.filter(cycle=target, parent__isnull=True)
            )
            next_position[parent_id] = siblings.count()
        position = next_position[parent_id]
        next_position[parent_id] += 1
        return position

    for node in nodes:  # depth-first: parents before children
        if node.id not in chosen or node.id in already:
            continue
        original = node.objective
        if original.parent_id in copies:
            parent = copies[original.parent_id]
        else:
            parent = None
            if original.parent_id:
                kept = Objective.objects.select_related("cycle").get(pk=original.parent_id)
                if kept.cycle.covers_cycle(target):
                    parent = kept
        copy = Objective.objects.create(
            company=company,
            cycle=target,
            title=original.title,
            description=original.description,
            owner_id=original.owner_id,
            team_id=original.team_id,
            parent=parent,
            state=Objective.State.DRAFT,
            rollup=original.rollup,
            position=position_under(parent.pk if parent else None),
            carried_from_id=original.id,
            updated_by=actor,
        )
        copies[node.id] = copy
        created.append(copy)
        unfinished = [kr for kr in node.key_results if kr.progress < ONE] or node.key_results
        new_krs = []
        for index, kr_node in enumerate(unfinished):
            kr = kr_node.key_result
            start = kr.start_value
            if kr.kind == KeyResult.Kind.MILESTONE:
                start = ZERO
            elif kr.current_value is not None:
                candidate = kr.current_value
                if (
                    (kr.kind == KeyResult.Kind.INCREASE_TO and candidate < kr.target_value)
                    or (kr.kind == KeyResult.Kind.DECREASE_TO and candidate > kr.target_value)
                    or kr.kind in (KeyResult.Kind.STAY_ABOVE, KeyResult.Kind.STAY_BELOW)
                ):
                    start = candidate
            new_krs.append(
                KeyResult(
                    company=company,
                    objective=copy,
                    title=kr.title,
                    kind=kr.kind,
                    unit=kr.unit,
                    start_value=start,
                    target_value=kr.target_value,
                    weight=kr.weight,
                    owner_id=kr.owner_id,
                    confidence=kr.confidence,
                    position=index,
                    updated_by=actor,
                )
            )
        KeyResult.objects.bulk_create(new_krs)
    # Alignments come along: to the copy of their target, or to the target itself when its cycle covers the new one.
    links = []
    for link in ObjectiveLink.objects.filter(source_id__in=list(copies)).select_related("target__cycle"):
        goal = copies.get(link.target_id)
        if goal is None:
            goal = link.target if link.target.cycle.covers_cycle(target) else None
        if goal is not None:
            links.append(ObjectiveLink(company=company, source=copies[link.source_id], target=goal))
    ObjectiveLink.objects.bulk_create(links, ignore_conflicts=True)
    versions.bump("okr", company_id=company.pk)  # bulk_create sends no signal
    return created
