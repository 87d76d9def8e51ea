"""Every state change of the cascade: cycles, objectives, alignments, key results and check-ins.

All functions are keyword-only, check the permission table for ``actor`` (None = the system), lock what they change,
validate, bump ``version`` and set ``updated_by`` on every change of an objective or key result, and refuse a stale
``version`` with :class:`core.errors.StaleVersion`.

Cycle states lock the cascade: in *planning* everything is editable; in *active* the structure is locked (no new,
moved or deleted objectives or key results, no alignment changes, key result targets, kind, unit and weight fixed)
while titles, descriptions, owners, commitment and check-ins go on; *closed* is read-only and carries frozen final
scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company, Team
from companies.permissions import Action, can, require_actor, role_of
from companies.services import team_for_name
from core import people, versions
from core.errors import NotFound, PermissionDenied, StaleVersion
from core.safety import validate_dates_in_range

from .. import guards
from ..models import CascadeSettings, CheckIn, Cycle, KeyResult, Objective, ObjectiveLink
from ..models.cascade import dates_cover
from ..selectors.cascade import cascade_tree, walk
from ..selectors.partners import partner_may_check_in

MAX_LEVELS = 6  # a cascade has at most six levels: company objective = level 1
ZERO = Decimal("0")
ONE = Decimal("1")

OBJECTIVE_FIELDS = ("title", "description", "owner", "team", "state", "rollup")
KEY_RESULT_FIELDS = ("title", "kind", "unit", "start_value", "target_value", "weight", "owner", "confidence")
# What may still change while the cycle is active (the structure and the targets are locked).
OBJECTIVE_FIELDS_WHILE_ACTIVE = {"title", "description", "owner", "team", "state", "rollup"}
KEY_RESULT_FIELDS_WHILE_ACTIVE = {"title", "owner", "confidence"}


# --------------------------------------------------------------------------------------------------- helpers


def display_name(user) -> str:
    return people.display_name(user, nobody=_("the system"))


def objective_snapshot(objective: Objective) -> dict[str, Any]:
    """The fresh field values a stale save is shown (JSON-friendly)."""
    return {
        "id": objective.pk,
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner_id,
        "team": objective.team_id,
        "state": objective.state,
        "rollup": objective.rollup,
        "parent": objective.parent_id,
        "position": objective.position,
        "version": objective.version,
    }


def key_result_snapshot(key_result: KeyResult) -> dict[str, Any]:
    def text(value):
        return None if value is None else str(value)

    return {
        "id": key_result.pk,
        "objective": key_result.objective_id,
        "title": key_result.title,
        "kind": key_result.kind,
        "unit": key_result.unit,
        "start_value": text(key_result.start_value),
        "target_value": text(key_result.target_value),
        "current_value": text(key_result.current_value),
        "weight": text(key_result.weight),
        "owner": key_result.owner_id,
        "confidence": text(key_result.confidence),
        "position": key_result.position,
        "version": key_result.version,
    }


def _check_version(instance, version, snapshot) -> None:
    try:
        given = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("Send the version you edited (a whole number).")}) from None
    if given != instance.version:
        raise StaleVersion(
            changed_by=display_name(instance.updated_by), changed_at=instance.updated_at, current=snapshot(instance)
        )


def _lock_objective(objective: Objective | int) -> Objective:
    pk = objective.pk if isinstance(objective, Objective) else objective
    return Objective.objects.select_for_update().select_related("cycle", "company").get(pk=pk)


def _lock_key_result(key_result: KeyResult | int) -> KeyResult:
    pk = key_result.pk if isinstance(key_result, KeyResult) else key_result
    return KeyResult.objects.select_for_update().select_related("objective__cycle", "company").get(pk=pk)


def _require_planning(cycle: Cycle, what: str | None = None) -> None:
    if cycle.state == Cycle.State.PLANNING:
        return
    if cycle.state == Cycle.State.CLOSED:
        raise ValidationError(
            _("The cycle “%(cycle)s” is closed: its cascade is read-only.") % {"cycle": cycle.name}, code="locked"
        )
    raise ValidationError(
        _(
            "The cycle “%(cycle)s” is active, so its structure is locked: %(what)s is only possible in planning. "
            "A facilitator or CMO can reopen planning."
        )
        % {"cycle": cycle.name, "what": what or _("this change")},
        code="locked",
    )


def _require_open(cycle: Cycle) -> None:
    if cycle.state == Cycle.State.CLOSED:
        raise ValidationError(
            _("The cycle “%(cycle)s” is closed: its cascade is read-only.") % {"cycle": cycle.name}, code="locked"
        )


def _member(company: Company, user, field: str):
    """``user`` (a User, an id or None) as a member of ``company``; a ValidationError on ``field`` otherwise."""
    if user is None or user == "":
        return None
    user_model = get_user_model()
    user_id = user.pk if isinstance(user, user_model) else user
    member = user_model.objects.filter(pk=user_id, memberships__company=company).first()
    if member is None:
        raise ValidationError({field: _("Choose a member of this company.")})
    return member


def _team(company: Company, team, field: str = "team") -> Team | None:
    """``team`` (a Team, its id, its name, or None/"" for none) as a team of ``company``; a ValidationError on
    ``field`` otherwise."""
    if team is None or team == "":
        return None
    if isinstance(team, Team):
        found = team if team.company_id == company.pk else None
    elif isinstance(team, int) or (isinstance(team, str) and team.strip().isdigit()):
        found = Team.objects.filter(company=company, pk=int(team)).first()
    else:
        found = team_for_name(company=company, name=str(team))
    if found is None:
        raise ValidationError({field: _("Choose one of the company's teams (they are managed on the members page).")})
    return found


def default_team(company: Company, parent: Objective | None) -> Team | None:
    """The team of a new objective nobody chose one for: its parent's, or at the top level the company level's."""
    if parent is not None:
        return parent.team
    return Team.objects.filter(company=company, kind=Team.Kind.COMPANY).order_by(Lower("name"), "pk").first()


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not result.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return result


def _full_clean(instance, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


def _level_of(objective: Objective | None) -> int:
    """The level of ``objective`` in the cascade (top level = 1; None = 0). One query per level."""
    level = 0
    current = objective
    while current is not None:
        level += 1
        current = current.parent
    return level


def _subtree_height(objective: Objective) -> int:
    """How many levels the subtree of ``objective`` spans (a leaf = 1)."""
    height, frontier = 1, [objective.pk]
    while True:
        frontier = list(Objective.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        if not frontier:
            return height
        height += 1


def _contribution_graph(company: Company) -> dict[int, set[int]]:
    """Edges child → parent and source → target ("contributes to") of the whole company."""
    graph: dict[int, set[int]] = {}
    for pk, parent_id in Objective.objects.filter(company=company).values_list("pk", "parent_id"):
        graph.setdefault(pk, set())
        if parent_id:
            graph[pk].add(parent_id)
    for source, target in ObjectiveLink.objects.filter(company=company).values_list("source_id", "target_id"):
        graph.setdefault(source, set()).add(target)
    return graph


def _reaches(graph: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False


def _check_parent(objective_cycle: Cycle, parent: Objective | None, company: Company) -> None:
    """Same company, and the child's cycle lies within the parent's cycle dates."""
    if parent is None:
        return
    if parent.company_id != company.pk:
        raise ValidationError({"parent": _("The parent objective belongs to another company.")})
    parent_cycle = parent.cycle
    if parent_cycle.pk != objective_cycle.pk and not parent_cycle.covers_cycle(objective_cycle):
        raise ValidationError(
            {
                "parent": _(
                    "“%(parent)s” belongs to the cycle “%(parent_cycle)s” (%(start)s–%(end)s); an objective of "
                    "“%(cycle)s” can only align to objectives whose cycle covers its own dates."
                )
                % {
                    "parent": parent.title,
                    "parent_cycle": parent_cycle.name,
                    "start": parent_cycle.start_date.isoformat(),
                    "end": parent_cycle.end_date.isoformat(),
                    "cycle": objective_cycle.name,
                }
            }
        )
    if parent_cycle.state == Cycle.State.CLOSED:
        raise ValidationError(
            {
                "parent": _("“%(parent)s” belongs to a closed cycle and takes no new children.")
                % {"parent": parent.title}
            }
        )


def _siblings(*, cycle: Cycle, parent: Objective | None, exclude: int | None = None):
    qs = (
        Objective.objects.filter(parent=parent)
        if parent is not None
        else Objective.objects.filter(cycle=cycle, parent__isnull=True)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("position", "id")


def _renumber(items: list) -> None:
    changed = []
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])
        versions.bump("okr", company_id=changed[0].company_id)  # bulk_update sends no signal


def _touch_objective(objective: Objective, actor, fields: list[str]) -> None:
    objective.version = F("version") + 1
    objective.updated_by = actor
    objective.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
    objective.refresh_from_db(fields=["version", "updated_at"])


def _touch_key_result(key_result: KeyResult, actor, fields: list[str]) -> None:
    key_result.version = F("version") + 1
    key_result.updated_by = actor
    key_result.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
    key_result.refresh_from_db(fields=["version", "updated_at"])


def _resolve_objective(company: Company, value, field: str) -> Objective | None:
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Objective) else value
    found = Objective.objects.select_related("cycle").filter(company=company, pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such objective in this company.")})
    return found


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


# -------------------------------------------------------------------------------------------------- objectives


@transaction.atomic
def objective_create(
    *,
    cycle: Cycle,
    title: str,
    parent: Objective | None = None,
    team: Team | int | str | None = None,
    owner=None,
    description: str = "",
    after: Objective | int | None = None,
    actor,
) -> Objective:
    """A new objective, right after its sibling ``after`` or else last among its siblings. The team (a team of the
    company, by instance, id or name) defaults to the parent's team, or the company level's at the top level."""
    company = cycle.company
    require_actor(actor, company, Action.CASCADE_EDIT)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _require_planning(cycle, _("adding an objective"))
    parent = _resolve_objective(company, parent, "parent")
    _check_parent(cycle, parent, company)
    if _level_of(parent) + 1 > MAX_LEVELS:
        raise ValidationError(
            {
                "parent": _("A cascade has at most %(max)d levels; this objective would be on level %(level)d.")
                % {"max": MAX_LEVELS, "level": _level_of(parent) + 1}
            }
        )
    team = _team(company, team) if team not in (None, "") else default_team(company, parent)
    objective = Objective(
        company=company,
        cycle=cycle,
        title=(title or "").strip(),
        description=description or "",
        team=team,
        owner=_member(company, owner, "owner"),
        parent=parent,
        updated_by=actor,
    )
    _full_clean(objective, exclude=["company", "cycle", "parent", "owner", "updated_by", "carried_from"])
    siblings = list(_siblings(cycle=cycle, parent=parent).select_for_update())
    index = len(siblings)
    if after is not None:
        after_pk = after.pk if isinstance(after, Objective) else int(after)
        positions = [s.pk for s in siblings]
        if after_pk not in positions:
            raise ValidationError({"after": _("The objective to insert after is not a sibling of the new one.")})
        index = positions.index(after_pk) + 1
    objective.position = index
    objective.save()
    siblings.insert(index, objective)
    _renumber(siblings)
    return objective


@transaction.atomic
def objective_update(*, objective: Objective, version: int, actor, **changes) -> Objective:
    """Change title, description, owner, team, state (draft/committed) or roll-up of an objective."""
    unknown = set(changes) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    require_actor(actor, objective.company, Action.CASCADE_EDIT)
    locked = _lock_objective(objective)
    _check_version(locked, version, objective_snapshot)
    _require_open(locked.cycle)
    fields = []
    for field, value in changes.items():
        if field == "owner":
            value = _member(locked.company, value, "owner")
            if locked.owner_id != (value.pk if value else None):
                locked.owner = value
                fields.append(field)
            continue
        if field == "team":
            value = _team(locked.company, value)
            if locked.team_id != (value.pk if value else None):
                locked.team = value
                fields.append(field)
            continue
        if field == "title" and isinstance(value, str):
            value = value.strip()
        if value is None and field in ("description",):
            value = ""
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            fields.append(field)
    if not fields:
        return locked
    if locked.cycle.state != Cycle.State.PLANNING and not set(fields) <= OBJECTIVE_FIELDS_WHILE_ACTIVE:
        _require_planning(locked.cycle)
    _full_clean(locked, exclude=["company", "cycle", "parent", "owner", "updated_by", "carried_from"])
    _touch_objective(locked, actor, fields)
    return locked


@transaction.atomic
def objective_move(
    *, objective: Objective, version: int, parent: Objective | int | None, position: int, actor
) -> Objective:
    """Re-parent (None = top level) and/or reorder: ``position`` is the index among the new siblings."""
    company = objective.company
    require_actor(actor, company, Action.CASCADE_EDIT)
    locked = _lock_objective(objective)
    _check_version(locked, version, objective_snapshot)
    _require_planning(locked.cycle, _("moving an objective"))
    new_parent = _resolve_objective(company, parent, "parent")
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise ValidationError({"position": _("The position must be a whole number.")}) from None
    if position < 0:
        raise ValidationError({"position": _("The position cannot be negative.")})
    if new_parent is not None:
        if new_parent.pk == locked.pk:
            raise ValidationError({"parent": _("An objective cannot be its own parent.")})
        graph = _contribution_graph(company)
        # The new parent must not already (directly or through alignments) contribute to the moved objective.
        if _reaches(graph, new_parent.pk, locked.pk):
            raise ValidationError(
                {
                    "parent": _(
                        "“%(parent)s” already contributes to “%(objective)s” (it sits below it or is aligned to it): "
                        "this move would create a loop."
                    )
                    % {"parent": new_parent.title, "objective": locked.title}
                }
            )
        _check_parent(locked.cycle, new_parent, company)
        levels = _level_of(new_parent) + _subtree_height(locked)
        if levels > MAX_LEVELS:
            raise ValidationError(
                {
                    "parent": _(
                        "A cascade has at most %(max)d levels; below “%(parent)s” this subtree would reach level "
                        "%(level)d."
                    )
                    % {"max": MAX_LEVELS, "parent": new_parent.title, "level": levels}
                }
            )
    old_parent_id = locked.parent_id
    new_parent_id = new_parent.pk if new_parent else None
    new_siblings = list(_siblings(cycle=locked.cycle, parent=new_parent, exclude=locked.pk).select_for_update())
    if old_parent_id != new_parent_id:
        _renumber(list(_siblings(cycle=locked.cycle, parent=locked.parent, exclude=locked.pk).select_for_update()))
    position = min(position, len(new_siblings))
    _renumber([*new_siblings[:position], locked, *new_siblings[position:]])  # saves the siblings' positions
    locked.parent = new_parent
    locked.position = position
    fields = ["position", "parent"] if old_parent_id != new_parent_id else ["position"]
    _touch_objective(locked, actor, fields)
    return locked


@transaction.atomic
def objective_indent(*, objective: Objective, version: int, actor) -> Objective:
    """Re-parent under the sibling above, as its last child."""
    require_actor(actor, objective.company, Action.CASCADE_EDIT)
    current = Objective.objects.select_related("cycle", "parent", "company").get(pk=objective.pk)
    _check_version(current, version, objective_snapshot)
    siblings = list(_siblings(cycle=current.cycle, parent=current.parent))
    index = [s.pk for s in siblings].index(current.pk)
    if index == 0:
        raise ValidationError(
            {
                "parent": _("There is no objective above “%(title)s” on its level to indent under.")
                % {"title": current.title}
            }
        )
    new_parent = siblings[index - 1]
    position = Objective.objects.filter(parent=new_parent).count()
    return objective_move(objective=current, version=version, parent=new_parent, position=position, actor=actor)


@transaction.atomic
def objective_outdent(*, objective: Objective, version: int, actor) -> Objective:
    """Re-parent to the grandparent, right after the old parent."""
    require_actor(actor, objective.company, Action.CASCADE_EDIT)
    current = Objective.objects.select_related("cycle", "parent__parent", "company").get(pk=objective.pk)
    _check_version(current, version, objective_snapshot)
    if current.parent is None:
        raise ValidationError({"parent": _("“%(title)s” is already on the top level.") % {"title": current.title}})
    old_parent = current.parent
    grandparent = old_parent.parent
    siblings = [s.pk for s in _siblings(cycle=current.cycle, parent=grandparent)]
    position = siblings.index(old_parent.pk) + 1 if old_parent.pk in siblings else len(siblings)
    return objective_move(objective=current, version=version, parent=grandparent, position=position, actor=actor)


def _protected_message() -> str:
    return _("This key result carries approved budget and cannot be deleted.")


@transaction.atomic
def objective_delete(*, objective: Objective, version: int, actor) -> None:
    """Delete an objective with its key results (only in planning and only without child objectives)."""
    require_actor(actor, objective.company, Action.CASCADE_EDIT)
    locked = _lock_objective(objective)
    _check_version(locked, version, objective_snapshot)
    _require_planning(locked.cycle, _("deleting an objective"))
    if Objective.objects.filter(parent=locked).exists():
        raise ValidationError(
            _("“%(title)s” still has child objectives: move or delete them first.") % {"title": locked.title},
            code="has_children",
        )
    parent, cycle = locked.parent, locked.cycle
    # Lock its key results before the deletion looks at what hangs on them (approved budget blocks it): the same
    # order as key_result_delete and the budget approval, key result before budget line, so neither deadlocks nor
    # slips an approval in between the check and the delete.
    list(KeyResult.objects.select_for_update().filter(objective=locked).order_by("pk").values_list("pk"))
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError(_protected_message(), code="protected") from None
    _renumber(list(_siblings(cycle=cycle, parent=parent).select_for_update()))


@transaction.atomic
def objective_links_set(*, objective: Objective, targets: Iterable[Objective | int], actor) -> None:
    """Replace the additional "contributes to" alignments of ``objective`` (same company, no self, no loop through
    parents and alignments)."""
    company = objective.company
    require_actor(actor, company, Action.CASCADE_EDIT)
    locked = _lock_objective(objective)
    _require_planning(locked.cycle, _("changing alignments"))
    wanted: dict[int, Objective] = {}
    for target in targets or []:
        found = _resolve_objective(company, target, "targets")
        if found.pk == locked.pk:
            raise ValidationError({"targets": _("An objective cannot contribute to itself.")})
        if found.pk == locked.parent_id:
            raise ValidationError(
                {"targets": _("“%(title)s” is already the parent objective.") % {"title": found.title}}
            )
        wanted[found.pk] = found
    existing = set(ObjectiveLink.objects.filter(source=locked).values_list("target_id", flat=True))
    if existing == set(wanted):
        return
    ObjectiveLink.objects.filter(source=locked).exclude(target_id__in=list(wanted)).delete()
    graph = _contribution_graph(company)
    graph[locked.pk] = {p for p in graph.get(locked.pk, set()) if p == locked.parent_id}
    for pk, target in wanted.items():
        if _reaches(graph, pk, locked.pk):
            raise ValidationError(
                {
                    "targets": _(
                        "“%(target)s” already contributes to “%(objective)s”: aligning it back would create a loop."
                    )
                    % {"target": target.title, "objective": locked.title}
                }
            )
        graph[locked.pk].add(pk)
    ObjectiveLink.objects.bulk_create(
        [
            ObjectiveLink(company=company, source=locked, target=target)
            for pk, target in wanted.items()
            if pk not in existing
        ]
    )
    _touch_objective(locked, actor, [])


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


# ---------------------------------------------------------------------------------------------------- check-ins


@transaction.atomic
def check_in_create(
    *,
    key_result: KeyResult,
    value,
    confidence,
    comment: str = "",
    actor,
    is_automatic: bool = False,
    at: dt.datetime | None = None,
) -> CheckIn:
    """Append a check-in. The owner of the key result checks in (CHECKIN_OWN), facilitators and CMOs on any key
    result (CHECKIN_ANY). Allowed in planning and active cycles, refused in closed ones. The key result's current
    value and confidence follow the newest check-in (a back-dated one via ``at`` only adds history)."""
    company = key_result.company
    if actor is not None and not getattr(actor, "is_superuser", False):
        role = role_of(actor, company)
        if can(role, Action.PARTNER_WORK):
            # A partner checks in on the key results their initiatives feed; any other is not there for them.
            if not partner_may_check_in(user=actor, key_result=key_result):
                raise NotFound()
        elif not can(role, Action.CHECKIN_ANY):
            require_actor(actor, company, Action.CHECKIN_OWN)
            if key_result.owner_id != actor.pk:
                raise PermissionDenied(_("Only the owner of this key result can check in on it."))
    locked = _lock_key_result(key_result)
    if locked.objective.cycle.state == Cycle.State.CLOSED:
        raise ValidationError(
            _("The cycle “%(cycle)s” is closed: no more check-ins.") % {"cycle": locked.objective.cycle.name},
            code="locked",
        )
    value = _decimal(value, "value")
    confidence = _decimal(confidence, "confidence")
    if not (ZERO <= confidence <= ONE):
        raise ValidationError({"confidence": _("Confidence lies between 0.0 and 1.0.")})
    if locked.kind == KeyResult.Kind.MILESTONE and value not in (ZERO, ONE):
        raise ValidationError({"value": _("A milestone is either done (1) or not done (0).")})
    at = at or timezone.now()
    validate_dates_in_range(created_at=at)
    check_in = CheckIn(
        company=company,
        key_result=locked,
        value=value,
        confidence=confidence,
        comment=(comment or "").strip(),
        author=actor,
        is_automatic=is_automatic,
        created_at=at,
    )
    _full_clean(check_in, exclude=["company", "key_result", "author"])
    check_in.save(force_insert=True)
    # A check-in is not an edit of the key result: it leaves `version` alone (no false conflicts for someone
    # editing the title meanwhile) but moves `updated_at`, so the cascade signature changes.
    if locked.last_check_in_at is None or at >= locked.last_check_in_at:
        locked.current_value = value
        locked.confidence = confidence
        locked.last_check_in_at = at
        locked.save(update_fields=["current_value", "confidence", "last_check_in_at", "updated_at"])
    else:
        locked.save(update_fields=["updated_at"])
    return check_in


# ----------------------------------------------------------------------------------------------------- settings


@transaction.atomic
def cascade_settings_update(
    *, company: Company, actor, reminder_after_days: int | None = None, reminders_enabled: bool | None = None
) -> CascadeSettings:
    """The check-in reminder settings of a company (whoever runs the OKR process: facilitator or CMO)."""
    require_actor(actor, company, Action.CYCLE_MANAGE)
    settings, _created = CascadeSettings.objects.select_for_update().get_or_create(company=company)
    fields = []
    if reminder_after_days is not None:
        try:
            days = int(reminder_after_days)
        except (TypeError, ValueError):
            raise ValidationError({"reminder_after_days": _("Enter a whole number of days.")}) from None
        if not 1 <= days <= 90:
            raise ValidationError({"reminder_after_days": _("Choose between 1 and 90 days.")})
        settings.reminder_after_days = days
        fields.append("reminder_after_days")
    if reminders_enabled is not None:
        settings.reminders_enabled = bool(reminders_enabled)
        fields.append("reminders_enabled")
    if fields:
        settings.save(update_fields=fields)
    return settings


__all__ = [
    "MAX_LEVELS",
    "cascade_settings_update",
    "check_in_create",
    "cycle_activate",
    "cycle_carry_over",
    "cycle_close",
    "cycle_create",
    "cycle_reopen",
    "cycle_update",
    "key_result_create",
    "key_result_delete",
    "key_result_move",
    "key_result_snapshot",
    "key_result_update",
    "objective_create",
    "objective_delete",
    "objective_indent",
    "objective_links_set",
    "objective_move",
    "objective_outdent",
    "objective_snapshot",
    "objective_update",
]
