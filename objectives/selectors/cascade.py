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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import CascadeSettings, CheckIn, Company, Cycle, KeyResult, Objective, ObjectiveLink, key_result_progress

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
        Objective.objects.select_related("company", "cycle", "owner", "updated_by", "parent"),
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
    score = Decimal(score)
    if score >= company.score_green_from:
        key = "green"
    elif score >= company.score_amber_from:
        key = "amber"
    else:
        key = "red"
    return key, str(STATUS_LABELS[key])


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


# -------------------------------------------------------------------------------------------------- tree nodes


@dataclass
class KeyResultNode:
    key_result: KeyResult
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


@dataclass
class CascadeNode:
    objective: Objective
    id: int
    title: str
    team: str
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
    """Depth-first, parents before children, in sibling order."""
    for node in nodes:
        yield node
        yield from walk(node.children)


def _is_stale(key_result: KeyResult, cycle: Cycle, now: dt.datetime, days: int) -> bool:
    if cycle.state == Cycle.State.CLOSED:
        return False
    reference = key_result.last_check_in_at or key_result.created_at
    return reference is None or reference < now - dt.timedelta(days=days)


def _key_result_node(
    key_result: KeyResult, *, company: Company, cycle: Cycle, expected: Decimal, now, stale_days: int
) -> KeyResultNode:
    if cycle.state == Cycle.State.CLOSED and key_result.final_score is not None:
        progress = key_result.final_score
    else:
        progress = key_result_progress(
            key_result.kind, key_result.start_value, key_result.target_value, key_result.current_value
        )
    progress = _q(progress)
    status, label = score_status(company=company, score=_pace_score(progress, expected))
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


def _compute(node: CascadeNode, company: Company, cycle: Cycle) -> None:
    for child in node.children:
        _compute(child, company, cycle)
    krs = [(kr.progress, kr.key_result.weight) for kr in node.key_results]
    own = _weighted(krs)
    subtree = _weighted(krs + [(child.subtree_progress, ONE) for child in node.children])
    if node.rollup == Objective.Rollup.WITH_CHILDREN:
        rolled = _weighted(krs + [(child.progress, ONE) for child in node.children])
    else:
        rolled = own
    node.own_progress = _q(own if own is not None else ZERO)
    node.subtree_progress = _q(subtree if subtree is not None else ZERO)
    node.is_measured = rolled is not None
    progress = rolled if rolled is not None else ZERO
    if cycle.state == Cycle.State.CLOSED and node.objective.final_score is not None:
        progress = node.objective.final_score
    node.progress = _q(progress)
    if node.is_measured:
        node.progress_note = ""
    elif node.rollup == Objective.Rollup.WITH_CHILDREN:
        node.progress_note = str(_("No key results or child objectives yet: progress counts as 0."))
    else:
        node.progress_note = str(_("No key results yet: progress counts as 0."))
    node.status, node.status_label = score_status(company=company, score=_pace_score(node.progress, node.expected))
    node.ahead = node.progress >= node.expected


def cascade_tree(
    *,
    company: Company,
    cycle: Cycle,
    team: str | None = None,
    owner_id: int | None = None,
    search: str | None = None,
) -> list[CascadeNode]:
    """The cycle's objectives as a tree of :class:`CascadeNode` (roots in position order).

    Objectives whose parent lies outside the cycle (e.g. a quarterly objective under a yearly one) are roots here.
    Filters keep the matching nodes plus their ancestors (for context); progress is computed on the whole tree
    first, so filtering never changes a number. ``team`` matches the objective's team; ``owner_id`` the owner of
    the objective or of one of its key results; ``search`` (case-insensitive) the title of the objective or of one
    of its key results. Constant number of queries (5).
    """
    if cycle.company_id != company.pk:
        return []
    now = timezone.now()
    expected = expected_progress(cycle=cycle)
    stale_days = reminder_after_days(company)
    objectives = list(
        Objective.objects.filter(company=company, cycle=cycle)
        .select_related("owner", "updated_by")
        .order_by("position", "id")
    )
    ids = {o.pk for o in objectives}
    key_results = (
        KeyResult.objects.filter(company=company, objective__cycle=cycle)
        .select_related("owner", "updated_by")
        .order_by("position", "id")
    )
    links = (
        ObjectiveLink.objects.filter(company=company, source__cycle=cycle)
        .select_related("target")
        .only("source_id", "target_id", "target__title")
        .order_by("target__position", "target_id")
    )
    nodes: dict[int, CascadeNode] = {}
    for objective in objectives:
        objective.cycle = cycle
        nodes[objective.pk] = CascadeNode(
            objective=objective,
            id=objective.pk,
            title=objective.title,
            team=objective.team,
            owner=objective.owner,
            state=objective.state,
            rollup=objective.rollup,
            version=objective.version,
            depth=0,
            parent_id=objective.parent_id,
            position=objective.position,
            expected=expected,
        )
    for key_result in key_results:
        node = nodes.get(key_result.objective_id)
        if node is None:
            continue
        key_result.objective = node.objective
        node.key_results.append(
            _key_result_node(
                key_result, company=company, cycle=cycle, expected=expected, now=now, stale_days=stale_days
            )
        )
    for link in links:
        node = nodes.get(link.source_id)
        if node is not None:
            node.contributes_to.append((link.target_id, link.target.title))
    roots: list[CascadeNode] = []
    for objective in objectives:
        node = nodes[objective.pk]
        if objective.parent_id in ids:
            nodes[objective.parent_id].children.append(node)
        else:
            roots.append(node)

    def set_depth(items: list[CascadeNode], depth: int) -> None:
        for item in items:
            item.depth = depth
            set_depth(item.children, depth + 1)

    set_depth(roots, 0)
    for root in roots:
        _compute(root, company, cycle)
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


def key_result_history(*, key_result: KeyResult) -> list[CheckIn]:
    """Every check-in of ``key_result``, oldest first."""
    return list(
        CheckIn.objects.filter(company_id=key_result.company_id, key_result=key_result)
        .select_related("author")
        .order_by("created_at", "id")
    )
