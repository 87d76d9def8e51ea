"""Reading a cascade file: every row validated first ("row N, column X: reason"), then everything created in
one transaction, or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.models import Company, Team
from companies.permissions import Action, can, require_actor, role_of
from companies.services import team_create, team_for_name
from core import numbers, tabular
from core.imports import import_max_bytes, read_limited

from ...models import Cycle, KeyResult, Objective
from .. import cascade as services
from .columns import (
    COLUMNS,
    KEY_RESULT_PATH,
    MAX_COLUMNS,
    MAX_ROWS,
    NUMBER_COLUMNS,
    OBJECTIVE_PATH,
    TYPE_KEY_RESULT,
    TYPE_OBJECTIVE,
    XLSX_UNPACK_FACTOR,
)
from .exporting import _number

# -------------------------------------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    objectives: int = 0
    key_results: int = 0
    check_ins: int = 0
    created: list[Objective] = field(default_factory=list)
    teams_created: list[str] = field(default_factory=list)


@dataclass
class _ObjectiveRow:
    row: int
    path: str
    title: str
    description: str
    team: str  # a team's name ("" = the default: the parent's team, or the company level's)
    owner: object
    state: str
    rollup: str
    contributes_to: list[str]


@dataclass
class _KeyResultRow:
    row: int
    path: str
    objective_path: str
    number: int
    title: str
    owner: object
    kind: str
    unit: str
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal | None
    weight: Decimal
    confidence: Decimal


class _RowError(str):
    """A message that remembers its row, so the list reads top to bottom."""

    row: int = 0


def _error(row: int, column: str, reason: str) -> str:
    message = _RowError(
        _("row %(row)s, column %(column)s: %(reason)s") % {"row": row, "column": column, "reason": reason}
    )
    message.row = row
    return message


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal | int):
        return _number(Decimal(value))
    return tabular.unescape_cell(str(value).strip())


def _read_rows(file, filename: str) -> list[list]:
    data = read_limited(file)  # size checked before reading (settings.IMPORT_MAX_BYTES)
    if not data:
        raise ValidationError({"file": [_("The file is empty.")]})
    try:
        return tabular.read_table(
            data,
            filename,
            max_rows=MAX_ROWS,
            max_columns=MAX_COLUMNS,
            max_unpacked=XLSX_UNPACK_FACTOR * import_max_bytes(),
        )
    except tabular.TabularError as exc:
        raise ValidationError({"file": [exc.message]}) from None


def _decimal(text: str, row: int, column: str, errors: list[str], language: str) -> Decimal | None:
    if text == "":
        return None
    try:
        # "1.234,56" and "1,234.56" read alike, as in every import; "4.500" as the file's other numbers are
        # written, or by the importing person's language when none of them decides.
        value = numbers.parse_file_decimal(text, language=language)
    except numbers.NumberError as exc:
        errors.append(_error(row, column, str(exc)))
        return None
    if value is None or not value.is_finite() or abs(value) >= Decimal("1e14"):
        errors.append(_error(row, column, _("“%(value)s” is not a usable number.") % {"value": text}))
        return None
    return value


def _sort_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split("."))


def cascade_import(*, company: Company, cycle: Cycle, file, filename: str, actor) -> ImportResult:
    """Validate every row, then create the objectives, alignments, key results and current values in one
    transaction (appended after what the cycle holds already). Any error: nothing is created."""
    require_actor(actor, company, Action.CASCADE_EDIT)
    if cycle.company_id != company.pk:
        raise ValidationError({"cycle": [_("No such cycle in this company.")]})
    if cycle.state != Cycle.State.PLANNING:
        raise ValidationError(
            {"cycle": [_("Import only into a cycle in planning; “%(cycle)s” is not.") % {"cycle": cycle.name}]}
        )
    rows = _read_rows(file, filename)
    while rows and not any(_cell_text(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise ValidationError({"file": [_("The file is empty.")]})
    header = [tabular.header_key(_cell_text(v)) for v in rows[0]]
    missing = [c for c in ("path", "type", "title") if c not in header]
    if missing:
        raise ValidationError(
            {"file": [_error(1, column, _("this column is missing from the header row.")) for column in missing]}
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError({"file": [_("At most %(max)d rows can be imported at once.") % {"max": MAX_ROWS}]})
    index = {name: i for i, name in enumerate(header) if name in COLUMNS}
    language = (
        numbers.file_number_language(
            _cell_text(raw[index[name]])
            for raw in rows[1:]
            for name in NUMBER_COLUMNS
            if index.get(name, len(raw)) < len(raw)
        )
        or numbers.language_code()
    )
    members = {
        user.get_username().lower(): user for user in get_user_model().objects.filter(memberships__company=company)
    }
    teams = {team.name.casefold(): team for team in Team.objects.filter(company=company)}
    new_teams: dict[str, str] = {}  # names not known yet → created with the import (folded name → as written)
    errors: list[str] = []
    objectives: dict[str, _ObjectiveRow] = {}
    key_results: dict[str, _KeyResultRow] = {}
    ordered: list[_ObjectiveRow | _KeyResultRow] = []

    for number, raw in enumerate(rows[1:], start=2):
        values = {name: _cell_text(raw[i]) if i < len(raw) else "" for name, i in index.items()}
        values = {name: values.get(name, "") for name in COLUMNS}
        if not any(values.values()):
            continue
        kind_of_row = values["type"].lower().replace("_", " ").replace("-", " ")
        path = values["path"].replace(" ", "")
        title = values["title"]
        row_errors = len(errors)
        if not title:
            errors.append(_error(number, "title", _("a title is required.")))
        elif len(title) > 240:
            errors.append(_error(number, "title", _("at most 240 characters.")))
        owner = None
        if values["owner"]:
            owner = members.get(values["owner"].lower())
            if owner is None:
                errors.append(
                    _error(
                        number, "owner", _("“%(user)s” is not a member of this company.") % {"user": values["owner"]}
                    )
                )
        if kind_of_row in (TYPE_OBJECTIVE, "objektiv", "ziel"):
            if not OBJECTIVE_PATH.match(path):
                errors.append(
                    _error(number, "path", _("“%(path)s” is not an objective path like 1.2.") % {"path": path})
                )
                continue
            if path in objectives:
                errors.append(_error(number, "path", _("the path %(path)s appears twice.") % {"path": path}))
                continue
            parent_path = path.rpartition(".")[0]
            if parent_path and parent_path not in objectives:
                errors.append(
                    _error(
                        number,
                        "path",
                        _("the parent objective %(parent)s is not listed above.") % {"parent": parent_path},
                    )
                )
            if path.count(".") + 1 > services.MAX_LEVELS:
                errors.append(
                    _error(number, "path", _("a cascade has at most %(max)d levels.") % {"max": services.MAX_LEVELS})
                )
            state = values["state"] or Objective.State.DRAFT
            if state not in Objective.State.values:
                errors.append(
                    _error(
                        number, "state", _("use one of: %(choices)s.") % {"choices": ", ".join(Objective.State.values)}
                    )
                )
            rollup = values["rollup"] or Objective.Rollup.WITH_CHILDREN
            if rollup not in Objective.Rollup.values:
                errors.append(
                    _error(
                        number,
                        "rollup",
                        _("use one of: %(choices)s.") % {"choices": ", ".join(Objective.Rollup.values)},
                    )
                )
            team = " ".join(values["team"].split()) or (
                objectives[parent_path].team if parent_path in objectives else ""
            )
            if len(team) > 60:
                errors.append(_error(number, "team", _("at most 60 characters.")))
            elif team and team.casefold() not in teams and team_for_name(company=company, name=team) is None:
                # A team named in the file that the company does not have yet is created with the import: in a
                # workshop the room names its teams as it goes; the result lists the new ones.
                if can(role_of(actor, company), Action.MEMBERS_MANAGE) or actor is None or actor.is_superuser:
                    new_teams.setdefault(team.casefold(), team)
                else:
                    known = ", ".join(t.name for t in teams.values())
                    message = _(
                        "there is no team “%(team)s”. Ask someone who manages the members to add it, or use one of: "
                        "%(teams)s."
                    )
                    errors.append(_error(number, "team", message % {"team": team, "teams": known}))
            links = [p.strip() for p in re.split(r"[,;]", values["contributes_to"]) if p.strip()]
            entry = _ObjectiveRow(number, path, title, values["description"], team, owner, state, rollup, links)
            objectives[path] = entry
            if len(errors) == row_errors:
                ordered.append(entry)
        elif kind_of_row in (TYPE_KEY_RESULT, "kr", "keyresult", "schlüsselergebnis"):
            match = KEY_RESULT_PATH.match(path)
            if not match:
                errors.append(
                    _error(number, "path", _("“%(path)s” is not a key result path like 1.2.K1.") % {"path": path})
                )
                continue
            objective_path = match["objective"]
            if objective_path not in objectives:
                errors.append(
                    _error(number, "path", _("the objective %(path)s is not listed above.") % {"path": objective_path})
                )
            if path.upper() in key_results:
                errors.append(_error(number, "path", _("the path %(path)s appears twice.") % {"path": path}))
                continue
            kind = values["kind"]
            if kind not in KeyResult.Kind.values:
                errors.append(
                    _error(
                        number, "kind", _("use one of: %(choices)s.") % {"choices": ", ".join(KeyResult.Kind.values)}
                    )
                )
            unit = values["unit"] or KeyResult.Unit.NUMBER
            if unit not in KeyResult.Unit.values:
                errors.append(
                    _error(
                        number, "unit", _("use one of: %(choices)s.") % {"choices": ", ".join(KeyResult.Unit.values)}
                    )
                )
            start = _decimal(values["start_value"], number, "start_value", errors, language)
            target = _decimal(values["target_value"], number, "target_value", errors, language)
            current = _decimal(values["current_value"], number, "current_value", errors, language)
            weight = _decimal(values["weight"], number, "weight", errors, language)
            confidence = _decimal(values["confidence"], number, "confidence", errors, language)
            start = Decimal("0") if start is None else start
            weight = Decimal("1") if weight is None else weight
            confidence = Decimal("0.5") if confidence is None else confidence
            if weight <= 0:
                errors.append(_error(number, "weight", _("must be greater than 0.")))
            if not (Decimal("0") <= confidence <= Decimal("1")):
                errors.append(_error(number, "confidence", _("must lie between 0 and 1.")))
            if kind == KeyResult.Kind.MILESTONE:
                start, target = Decimal("0"), Decimal("1")
                if current not in (None, Decimal("0"), Decimal("1")):
                    errors.append(_error(number, "current_value", _("a milestone is 1 (done) or 0 (not done).")))
            elif kind in KeyResult.Kind.values:
                if target is None and values["target_value"] == "":
                    errors.append(_error(number, "target_value", _("a target is required.")))
                elif target is not None and kind == KeyResult.Kind.INCREASE_TO and target <= start:
                    errors.append(
                        _error(number, "target_value", _("for “increase to” the target must be above the start."))
                    )
                elif target is not None and kind == KeyResult.Kind.DECREASE_TO and target >= start:
                    errors.append(
                        _error(number, "target_value", _("for “decrease to” the target must be below the start."))
                    )
            entry = _KeyResultRow(
                number,
                path.upper(),
                objective_path,
                int(match["number"]),
                title,
                owner,
                kind,
                unit,
                start,
                target if target is not None else Decimal("1"),
                current,
                weight,
                confidence,
            )
            key_results[path.upper()] = entry
            if len(errors) == row_errors:
                ordered.append(entry)
        else:
            errors.append(
                _error(
                    number, "type", _("use “objective” or “key result”, not “%(value)s”.") % {"value": values["type"]}
                )
            )

    # Alignments: only to objectives of the file, no self, no loop through parents and alignments.
    graph: dict[str, set[str]] = {p: ({p.rpartition(".")[0]} - {""}) for p in objectives}
    for entry in objectives.values():
        for target in entry.contributes_to:
            if target not in objectives:
                errors.append(
                    _error(
                        entry.row, "contributes_to", _("the objective %(path)s is not in the file.") % {"path": target}
                    )
                )
            elif target == entry.path:
                errors.append(_error(entry.row, "contributes_to", _("an objective cannot contribute to itself.")))
            else:
                graph[entry.path].add(target)
    for entry in objectives.values():
        for target in entry.contributes_to:
            if target in objectives and target != entry.path and _reaches(graph, target, entry.path):
                errors.append(
                    _error(
                        entry.row,
                        "contributes_to",
                        _("%(target)s already contributes to %(path)s: this would create a loop.")
                        % {"target": target, "path": entry.path},
                    )
                )
    if errors:
        errors.sort(key=lambda message: getattr(message, "row", 0))
        raise ValidationError({"file": [str(message) for message in errors]})
    if not ordered:
        raise ValidationError({"file": [_("The file holds no objectives or key results.")]})
    return _create(cycle=cycle, objectives=objectives, key_results=key_results, new_teams=new_teams, actor=actor)


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


@transaction.atomic
def _create(*, cycle: Cycle, objectives: dict, key_results: dict, new_teams: dict[str, str], actor) -> ImportResult:
    result = ImportResult()
    created: dict[str, Objective] = {}
    current: _ObjectiveRow | _KeyResultRow | None = None
    for name in new_teams.values():
        team_create(company=cycle.company, name=name, actor=actor)
        result.teams_created.append(name)
    try:
        for path in sorted(objectives, key=_sort_key):
            current = entry = objectives[path]
            objective = services.objective_create(
                cycle=cycle,
                title=entry.title,
                parent=created.get(entry.path.rpartition(".")[0]),
                team=entry.team,
                owner=entry.owner,
                description=entry.description,
                actor=actor,
            )
            if entry.state != objective.state or entry.rollup != objective.rollup:
                objective = services.objective_update(
                    objective=objective, version=objective.version, actor=actor, state=entry.state, rollup=entry.rollup
                )
            created[path] = objective
            result.created.append(objective)
            result.objectives += 1
        for path in sorted(objectives, key=_sort_key):
            current = entry = objectives[path]
            if entry.contributes_to:
                services.objective_links_set(
                    objective=created[path], targets=[created[t] for t in entry.contributes_to], actor=actor
                )
        for entry in sorted(key_results.values(), key=lambda e: (_sort_key(e.objective_path), e.number)):
            current = entry
            key_result = services.key_result_create(
                objective=created[entry.objective_path],
                title=entry.title,
                kind=entry.kind,
                unit=entry.unit,
                start_value=entry.start_value,
                target_value=entry.target_value,
                weight=entry.weight,
                owner=entry.owner,
                confidence=entry.confidence,
                actor=actor,
            )
            result.key_results += 1
            if entry.current_value is not None:
                services.check_in_create(
                    key_result=key_result,
                    value=entry.current_value,
                    confidence=entry.confidence,
                    comment=_("Imported"),
                    actor=actor,
                    is_automatic=True,
                )
                result.check_ins += 1
    except ValidationError as exc:
        row = current.row if current is not None else 0
        raise ValidationError({"file": [_error(row, "-", message) for message in exc.messages]}) from None
    return result
