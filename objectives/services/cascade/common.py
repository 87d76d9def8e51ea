"""What the cascade's services share: the editable fields, version checks, locks, cycle-state guards and the
lookups of members, teams, parents and siblings."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from companies.models import Company, Team
from companies.services import team_for_name
from core import people, versions
from core.errors import StaleVersion

from ...models import Cycle, KeyResult, Objective, ObjectiveLink

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
