"""Objectives: create, change, move, indent/outdent, delete, and their additional alignments."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from companies.models import Team
from companies.permissions import Action, require_actor

from ...models import Cycle, KeyResult, Objective, ObjectiveLink
from .common import (
    MAX_LEVELS,
    OBJECTIVE_FIELDS,
    OBJECTIVE_FIELDS_WHILE_ACTIVE,
    _check_parent,
    _check_version,
    _contribution_graph,
    _full_clean,
    _level_of,
    _lock_objective,
    _member,
    _reaches,
    _renumber,
    _require_open,
    _require_planning,
    _resolve_objective,
    _siblings,
    _subtree_height,
    _team,
    _touch_objective,
    default_team,
    objective_snapshot,
)

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
