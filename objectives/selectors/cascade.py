"""Read queries of the cascade shared by pages, API, import/export and tasks.

``cascade_tree`` loads a cycle's objectives, key results, owners and alignments in a constant number of queries and
builds the tree in Python, so the page and the API cost the same few queries for 10 or 500 objectives.

Progress rules (issue 3):

- key result progress: :func:`objectives.models.key_result_progress` (increase/decrease: clamp((current − start) /
  (target − start), 0, 1); stay above/below: 1 while the bound holds; milestone: 0 or 1).
- own progress of an objective: the weighted mean of its key results (by their weights).
- subtree progress: the weighted mean of its key results and of its child objectives' subtree progress, where
  each child objective counts with weight 1 — as much as one key result of weight 1. We chose weight 1 because
  child objectives carry no weight of their own and a child should not outweigh the parent's own measures just
  because it has many key results.
- progress (what the cascade shows as *the* progress): own progress with roll-up "krs"; with "krs_and_children"
  the weighted mean of the key results and of each child's progress (weight 1 each, recursively by the child's
  own roll-up setting).
- An objective without key results (and, with children rolled up, without children) has progress 0 and says so:
  ``is_measured`` is False and ``progress_note`` explains it.
- Status colour and word compare progress with the expected progress at this date (the share of the cycle
  elapsed): ``score = progress / expected`` (1 when nothing is expected yet), then the company's thresholds
  (red < amber_from ≤ amber < green_from ≤ green). At the end of the cycle that is the plain score; in a closed
  cycle the frozen final scores are used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import ClassVar

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.conditional import etag_of

from ..models import CascadeSettings, CheckIn, Cycle, KeyResult, Objective, ObjectiveLink, key_result_progress

ZERO = Decimal("0")
ONE = Decimal("1")
QUANTUM = Decimal("0.0001")
DEFAULT_REMINDER_DAYS = 7


def _q(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM)


# ------------------------------------------------------------------------------------------------------ cycles


def cycle_list(*, company: Company) -> QuerySet[Cycle]:
    return Cycle.objects.filter(company=company).select_related("parent").order_by("-start_date", "name")


def cycle_get(*, company: Company, cycle_id) -> Cycle:
    return get_object_or_404(Cycle.objects.select_related("company", "parent"), company=company, pk=cycle_id)


def cycle_default(*, company: Company) -> Cycle | None:
    """The active cycle covering today, else the newest cycle in planning, else the newest cycle."""
    today = timezone.localdate()
    cycles = Cycle.objects.filter(company=company).select_related("company")
    return (
        cycles.filter(state=Cycle.State.ACTIVE, start_date__lte=today, end_date__gte=today)
        .order_by("end_date", "-start_date")  # the shortest-running (a quarter before its year)
        .first()
        or cycles.filter(state=Cycle.State.PLANNING).order_by("-start_date", "-pk").first()
        or cycles.order_by("-start_date", "-pk").first()
    )


def objective_get(*, company: Company, objective_id) -> Objective:
    return get_object_or_404(
        Objective.objects.select_related("company", "cycle", "owner", "updated_by", "parent", "team"),
        company=company,
        pk=objective_id,
    )


def key_result_get(*, company: Company, key_result_id) -> KeyResult:
    return get_object_or_404(
        KeyResult.objects.select_related("company", "objective__cycle", "owner", "updated_by"),
        company=company,
        pk=key_result_id,
    )


# ------------------------------------------------------------------------------------------------ scoring rules


def expected_progress(*, cycle: Cycle, on: dt.date | None = None) -> Decimal:
    """The share of the cycle elapsed on ``on`` (default today), clamped to 0..1: 0 on the first day, 1 on the last."""
    on = on or timezone.localdate()
    total = (cycle.end_date - cycle.start_date).days
    if total <= 0:
        return ONE if on >= cycle.start_date else ZERO
    share = Decimal((on - cycle.start_date).days) / Decimal(total)
    return _q(min(ONE, max(ZERO, share)))


STATUS_LABELS = {"red": _("At risk"), "amber": _("Behind"), "green": _("On track")}


def score_status(*, company: Company, score) -> tuple[str, str]:
    """("red", "At risk") / ("amber", "Behind") / ("green", "On track") by the company's thresholds."""
    return _Status(company)(Decimal(score))


def _pace_score(progress: Decimal, expected: Decimal) -> Decimal:
    if expected <= ZERO:
        return ONE
    return min(ONE, progress / expected)


def cascade_settings_get(*, company: Company) -> CascadeSettings:
    """The company's cascade settings (the defaults, unsaved, when none were stored yet)."""
    return CascadeSettings.objects.filter(company=company).first() or CascadeSettings(company=company)


def reminder_after_days(company: Company) -> int:
    settings = CascadeSettings.objects.filter(company=company).values_list("reminder_after_days", flat=True).first()
    return settings or DEFAULT_REMINDER_DAYS


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


# -------------------------------------------------------------------------------------------------- tree nodes


@dataclass(slots=True)
class KeyResultNode:
    key_result: KeyResult | KeyResultRow
    progress: Decimal
    expected: Decimal
    status: str
    status_label: str
    delta_vs_expected: Decimal
    is_stale: bool

    @property
    def id(self) -> int:
        return self.key_result.pk

    @property
    def title(self) -> str:
        return self.key_result.title

    @property
    def ahead(self) -> bool:
        return self.delta_vs_expected >= ZERO


@dataclass(slots=True)
class CascadeNode:
    objective: ObjectiveRow
    id: int
    title: str
    team: int | None  # the team's id
    team_name: str
    team_kind: str
    owner: object
    state: str
    rollup: str
    version: int
    depth: int  # 0 = top level of the tree
    parent_id: int | None
    position: int
    key_results: list[KeyResultNode] = field(default_factory=list)
    own_progress: Decimal = ZERO
    subtree_progress: Decimal = ZERO
    progress: Decimal = ZERO
    expected: Decimal = ZERO
    status: str = "red"
    status_label: str = ""
    ahead: bool = False
    is_measured: bool = False
    progress_note: str = ""
    children: list[CascadeNode] = field(default_factory=list)
    contributes_to: list[tuple[int, str]] = field(default_factory=list)
    matches: bool = True

    @property
    def delta_vs_expected(self) -> Decimal:
        return self.progress - self.expected


def walk(nodes: list[CascadeNode]) -> Iterator[CascadeNode]:
    """Depth-first, parents before children, in sibling order (with a stack: nested generators would pass every
    node up through one generator per level)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _is_stale(key_result, cycle: Cycle, now: dt.datetime, days: int) -> bool:
    if cycle.state == Cycle.State.CLOSED:
        return False
    reference = key_result.last_check_in_at or key_result.created_at
    return reference is None or reference < now - dt.timedelta(days=days)


class _Status:
    """The status rule (red / amber / green by the company's thresholds) with the translated words looked up once:
    a tree reuses one instance for every node; :func:`score_status` uses it for a single score."""

    def __init__(self, company: Company) -> None:
        self.green_from = Decimal(company.score_green_from)
        self.amber_from = Decimal(company.score_amber_from)
        self.labels = {key: str(label) for key, label in STATUS_LABELS.items()}

    def __call__(self, score: Decimal) -> tuple[str, str]:
        if score >= self.green_from:
            key = "green"
        elif score >= self.amber_from:
            key = "amber"
        else:
            key = "red"
        return key, self.labels[key]


def _key_result_node(
    key_result, *, company: Company, cycle: Cycle, expected: Decimal, now, stale_days: int, status=None
) -> KeyResultNode:
    if cycle.state == Cycle.State.CLOSED and key_result.final_score is not None:
        progress = key_result.final_score
    else:
        progress = key_result_progress(
            key_result.kind, key_result.start_value, key_result.target_value, key_result.current_value
        )
    progress = _q(progress)
    status, label = (status or _Status(company))(_pace_score(progress, expected))
    return KeyResultNode(
        key_result=key_result,
        progress=progress,
        expected=expected,
        status=status,
        status_label=label,
        delta_vs_expected=_q(progress - expected),
        is_stale=_is_stale(key_result, cycle, now, stale_days),
    )


def _weighted(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    total = sum((w for _p, w in pairs), ZERO)
    if total <= ZERO:
        return None
    return sum((p * w for p, w in pairs), ZERO) / total


def _compute(roots: list[CascadeNode], cycle: Cycle, status: _Status) -> None:
    """Progress, status and notes of every node, children before their parents (iteratively: a deep tree must not
    hit Python's recursion limit)."""
    closed = cycle.state == Cycle.State.CLOSED
    note_krs = str(_("No key results yet: progress counts as 0."))
    note_children = str(_("No key results or child objectives yet: progress counts as 0."))
    order: list[CascadeNode] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    for node in reversed(order):  # every child comes after its parent in ``order``
        krs = [(kr.progress, kr.key_result.weight) for kr in node.key_results]
        own = _weighted(krs)
        subtree = _weighted(krs + [(child.subtree_progress, ONE) for child in node.children]) if node.children else own
        if node.rollup == Objective.Rollup.WITH_CHILDREN and node.children:
            rolled = _weighted(krs + [(child.progress, ONE) for child in node.children])
        else:
            rolled = own
        node.own_progress = _q(own if own is not None else ZERO)
        node.subtree_progress = _q(subtree if subtree is not None else ZERO)
        node.is_measured = rolled is not None
        progress = rolled if rolled is not None else ZERO
        if closed and node.objective.final_score is not None:
            progress = node.objective.final_score
        node.progress = _q(progress)
        if node.is_measured:
            node.progress_note = ""
        elif node.rollup == Objective.Rollup.WITH_CHILDREN:
            node.progress_note = note_children
        else:
            node.progress_note = note_krs
        node.status, node.status_label = status(_pace_score(node.progress, node.expected))
        node.ahead = node.progress >= node.expected


def cascade_tree(
    *,
    company: Company,
    cycle: Cycle,
    team: int | None = None,
    owner_id: int | None = None,
    search: str | None = None,
) -> list[CascadeNode]:
    """The cycle's objectives as a tree of :class:`CascadeNode` (roots in position order).

    Objectives whose parent lies outside the cycle (e.g. a quarterly objective under a yearly one) are roots here.
    Filters keep the matching nodes plus their ancestors (for context); progress is computed on the whole tree
    first, so filtering never changes a number. ``team`` (a team id) matches the objective's team; ``owner_id`` the
    owner of the objective or of one of its key results; ``search`` (case-insensitive) the title of the objective or
    of one of its key results. Constant number of queries (4).

    ``node.objective`` and ``node.key_results[i].key_result`` are :class:`ObjectiveRow` and :class:`KeyResultRow`
    (the columns the cascade shows, read-only), not model instances: fetch the model to change one.
    """
    if cycle.company_id != company.pk:
        return []
    now = timezone.now()
    expected = expected_progress(cycle=cycle)
    stale_days = reminder_after_days(company)
    status = _Status(company)
    objectives = _rows(Objective.objects.filter(company=company, cycle=cycle).order_by("position", "id"), ObjectiveRow)
    key_results = _rows(
        KeyResult.objects.filter(company=company, objective__cycle=cycle).order_by("position", "id"), KeyResultRow
    )
    links = (
        ObjectiveLink.objects.filter(company=company, source__cycle=cycle)
        .order_by("target__position", "target_id")
        .values_list("source_id", "target_id", "target__title")
    )
    nodes: dict[int, CascadeNode] = {}
    for objective in objectives:
        nodes[objective.id] = CascadeNode(
            objective=objective,
            id=objective.id,
            title=objective.title,
            team=objective.team_id,
            team_name=objective.team_name or "",
            team_kind=objective.team_kind or "",
            owner=objective.owner,
            state=objective.state,
            rollup=objective.rollup,
            version=objective.version,
            depth=0,
            parent_id=objective.parent_id,
            position=objective.position,
            expected=expected,
        )
    closed = cycle.state == Cycle.State.CLOSED
    stale_before = now - dt.timedelta(days=stale_days)
    for key_result in key_results:
        node = nodes.get(key_result.objective_id)
        if node is None:
            continue
        # _key_result_node, inlined: this loop runs for every key result of the cycle
        if closed and key_result.final_score is not None:
            progress = key_result.final_score
        else:
            progress = key_result_progress(
                key_result.kind, key_result.start_value, key_result.target_value, key_result.current_value
            )
        progress = _q(progress)
        kr_status, label = status(_pace_score(progress, expected))
        reference = key_result.last_check_in_at or key_result.created_at
        node.key_results.append(
            KeyResultNode(
                key_result=key_result,
                progress=progress,
                expected=expected,
                status=kr_status,
                status_label=label,
                delta_vs_expected=_q(progress - expected),
                is_stale=not closed and (reference is None or reference < stale_before),
            )
        )
    for source_id, target_id, target_title in links:
        node = nodes.get(source_id)
        if node is not None:
            node.contributes_to.append((target_id, target_title))
    roots: list[CascadeNode] = []
    for node in nodes.values():  # in position order, so children end up in position order too
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        if parent is not None:
            parent.children.append(node)
        else:
            roots.append(node)
    stack = [(root, 0) for root in roots]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        stack.extend((child, depth + 1) for child in node.children)
    _compute(roots, cycle, status)
    if team or owner_id or search:
        roots = _filter(roots, team=team, owner_id=owner_id, search=search)
    return roots


def _filter(nodes: list[CascadeNode], *, team, owner_id, search) -> list[CascadeNode]:
    needle = (search or "").strip().casefold()
    try:
        owner_id = int(owner_id) if owner_id not in (None, "") else None
    except (TypeError, ValueError):
        owner_id = -1  # matches nobody

    def matches(node: CascadeNode) -> bool:
        if team and node.team != team:
            return False
        if owner_id is not None and owner_id != node.objective.owner_id:
            owners = {kr.key_result.owner_id for kr in node.key_results}
            if owner_id not in owners:
                return False
        titles = [node.title, *(kr.key_result.title for kr in node.key_results)]
        return not needle or any(needle in title.casefold() for title in titles)

    kept = []
    for node in nodes:
        node.children = _filter(node.children, team=team, owner_id=owner_id, search=search)
        node.matches = matches(node)
        if node.matches or node.children:
            kept.append(node)
    return kept


def cascade_signature_etag(signature: str) -> str:
    """The ETag of the signature API for ``signature``; the page carries it, so its first poll is conditional."""
    return etag_of("cascade-signature", signature)


def cascade_stale_from(*, company: Company, cycle: Cycle, nodes: Iterable) -> dt.datetime | None:
    """When the first key result of ``nodes`` (a tree from :func:`cascade_tree`) that is not stale yet turns stale
    by the clock alone (no check-in for the reminder period); None if none will. One query."""
    if cycle.state == Cycle.State.CLOSED:
        return None
    references = [
        kr.key_result.last_check_in_at or kr.key_result.created_at
        for node in walk(nodes)
        for kr in node.key_results
        if not kr.is_stale
    ]
    references = [reference for reference in references if reference is not None]
    if not references:
        return None
    return min(references) + dt.timedelta(days=reminder_after_days(company))


def cascade_signature(*, company: Company, cycle: Cycle) -> str:
    """A cheap token (one query) that changes whenever anything in the cycle's cascade changes: the cycle's state,
    any objective or key result (every edit and every check-in moves ``updated_at``), additions, deletions and
    alignments. The cascade page polls it."""
    objectives = Objective.objects.filter(company=company, cycle_id=OuterRef("pk")).order_by().values("cycle_id")
    key_results = (
        KeyResult.objects.filter(company=company, objective__cycle_id=OuterRef("pk"))
        .order_by()
        .values("objective__cycle_id")
    )
    links = (
        ObjectiveLink.objects.filter(company=company, source__cycle_id=OuterRef("pk"))
        .order_by()
        .values("source__cycle_id")
    )
    row = (
        Cycle.objects.filter(company=company, pk=cycle.pk)
        .annotate(
            o_count=Coalesce(Subquery(objectives.annotate(n=Count("pk")).values("n")), 0),
            o_max=Subquery(objectives.annotate(m=Max("updated_at")).values("m")),
            k_count=Coalesce(Subquery(key_results.annotate(n=Count("pk")).values("n")), 0),
            k_max=Subquery(key_results.annotate(m=Max("updated_at")).values("m")),
            l_count=Coalesce(Subquery(links.annotate(n=Count("pk")).values("n")), 0),
            l_max=Subquery(links.annotate(m=Max("created_at")).values("m")),
        )
        .values_list("state", "updated_at", "o_count", "o_max", "k_count", "k_max", "l_count", "l_max")
        .first()
    )
    if row is None:
        return "none"

    def stamp(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, dt.datetime):
            return str(int(value.timestamp() * 1_000_000))
        return str(value)

    return ".".join(stamp(part) for part in row)


# ------------------------------------------------------------------------------------------------- key results


def my_key_results(*, company: Company, user) -> list[KeyResultNode]:
    """The key results ``user`` owns in planning and active cycles: stale ones (no check-in for the company's
    reminder period, 7 days by default) first, then by cycle and position. Two or three queries."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    now = timezone.now()
    stale_days = reminder_after_days(company)
    key_results = (
        KeyResult.objects.filter(
            company=company, owner=user, objective__cycle__state__in=[Cycle.State.PLANNING, Cycle.State.ACTIVE]
        )
        .select_related("objective__cycle", "owner")
        .order_by("objective__cycle__start_date", "objective__position", "position", "id")
    )
    nodes = []
    status = _Status(company)
    expected_by_cycle: dict[int, Decimal] = {}
    for key_result in key_results:
        cycle = key_result.objective.cycle
        if cycle.pk not in expected_by_cycle:
            expected_by_cycle[cycle.pk] = expected_progress(cycle=cycle)
        nodes.append(
            _key_result_node(
                key_result,
                company=company,
                cycle=cycle,
                expected=expected_by_cycle[cycle.pk],
                now=now,
                stale_days=stale_days,
                status=status,
            )
        )
    nodes.sort(key=lambda node: not node.is_stale)  # stable: keeps the order within each group
    return nodes


def stale_key_results(*, company: Company, now: dt.datetime | None = None) -> QuerySet[KeyResult]:
    """Key results of active cycles without a check-in for the company's reminder period."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=reminder_after_days(company))
    return (
        KeyResult.objects.filter(company=company, objective__cycle__state=Cycle.State.ACTIVE, owner__isnull=False)
        .filter(Q(last_check_in_at__lt=cutoff) | Q(last_check_in_at__isnull=True, created_at__lt=cutoff))
        .select_related("owner", "objective__cycle", "owner__profile")
        .order_by("owner_id", "objective__cycle__start_date", "objective__position", "position", "id")
    )


def key_result_history(*, key_result: KeyResult | KeyResultRow) -> list[CheckIn]:
    """Every check-in of ``key_result`` (a model or a row of the tree), oldest first."""
    return list(
        CheckIn.objects.filter(company_id=key_result.company_id, key_result_id=key_result.pk)
        .select_related("author")
        .order_by("created_at", "id")
    )
