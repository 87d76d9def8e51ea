"""The columns the cascade reads, as small row classes instead of model instances."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import ClassVar

from django.db.models import QuerySet

from ...models import KeyResult, key_result_progress

# --------------------------------------------------------------------------------------------------- tree rows
# ``cascade_tree`` reads only the columns it needs (``values_list``) into these small classes instead of model
# instances: at 5,000 objectives × 4 key results, building ~50,000 model instances (with their owners and editors)
# cost more than everything else of the page together. The attributes carry the model's field names, so templates,
# the row renderer, the API, export and services read them as they read the models.


class Person:
    """An objective's or key result's owner: what the cascade shows of a user (``person`` filter, API names)."""

    __slots__ = ("first_name", "last_name", "pk", "username")

    def __init__(self, pk: int, username: str, first_name: str, last_name: str) -> None:
        self.pk = pk
        self.username = username
        self.first_name = first_name
        self.last_name = last_name

    @property
    def id(self) -> int:
        return self.pk

    def get_full_name(self) -> str:  # as django.contrib.auth's AbstractUser
        return f"{self.first_name} {self.last_name}".strip()

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username

    def __eq__(self, other) -> bool:
        return getattr(other, "pk", None) == self.pk and hasattr(other, "get_username")

    def __hash__(self) -> int:
        return hash(self.pk)


@dataclass(slots=True, eq=False)
class ObjectiveRow:
    """The columns of an :class:`~objectives.models.Objective` the cascade reads, and its owner."""

    owner: Person | None
    id: int
    company_id: int
    cycle_id: int
    parent_id: int | None
    position: int
    title: str
    description: str
    team_id: int | None
    team_name: str | None
    team_kind: str | None
    owner_id: int | None
    state: str
    rollup: str
    version: int
    final_score: Decimal | None
    carried_from_id: int | None

    @property
    def pk(self) -> int:
        return self.id

    # columns read through a join (``_rows``): the team's name and kind come with the objective's row
    SOURCES: ClassVar[dict[str, str]] = {"team_name": "team__name", "team_kind": "team__kind"}

    def get_team_display(self) -> str:
        return self.team_name or ""


@dataclass(slots=True, eq=False)
class KeyResultRow:
    """The columns of a :class:`~objectives.models.KeyResult` the cascade reads, and its owner."""

    owner: Person | None
    id: int
    company_id: int
    objective_id: int
    position: int
    title: str
    kind: str
    unit: str
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal | None
    weight: Decimal
    confidence: Decimal
    owner_id: int | None
    version: int
    final_score: Decimal | None
    last_check_in_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def pk(self) -> int:
        return self.id

    @property
    def progress(self) -> Decimal:
        return key_result_progress(self.kind, self.start_value, self.target_value, self.current_value)

    def get_kind_display(self) -> str:
        return str(KeyResult.Kind(self.kind).label) if self.kind in KeyResult.Kind.values else self.kind

    def get_unit_display(self) -> str:
        return str(KeyResult.Unit(self.unit).label) if self.unit in KeyResult.Unit.values else self.unit


OWNER_COLUMNS = ("owner_id", "owner__username", "owner__first_name", "owner__last_name")


def _rows(queryset: QuerySet, row_class: type) -> list:
    """Every row of ``queryset`` as a ``row_class`` (its fields after ``owner`` are the columns read, in order),
    with one :class:`Person` per distinct owner."""
    sources = getattr(row_class, "SOURCES", {})
    columns = [sources.get(f.name, f.name) for f in fields(row_class)][1:]
    people: dict[int, Person] = {None: None}
    rows = []
    for values in queryset.values_list(*OWNER_COLUMNS, *columns):
        owner_id = values[0]
        owner = people.get(owner_id, False)
        if owner is False:
            owner = people[owner_id] = Person(*values[:4])
        rows.append(row_class(owner, *values[4:]))
    return rows
