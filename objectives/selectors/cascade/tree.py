"""The nested cascade of a cycle with progress and status, its filters, and the signature pages poll."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.conditional import etag_of

from ...models import Cycle, KeyResult, Objective, ObjectiveLink, key_result_progress
from .rows import KeyResultRow, ObjectiveRow, _rows
from .scoring import (
    ONE,
    ZERO,
    _pace_score,
    _q,
    _Status,
    expected_progress,
    reminder_after_days,
)

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
    alignments. The cascade page polls it (every open cascade every few seconds): one hand-written statement, as
    building the same query through the ORM cost more than running it."""
    objectives, key_results, links = (model._meta.db_table for model in (Objective, KeyResult, ObjectiveLink))
    of_cycle = f"SELECT id FROM {objectives} WHERE company_id = %s AND cycle_id = c.id"  # noqa: S608
    sql = f"""
        SELECT c.state, c.updated_at,
               (SELECT count(*) FROM {objectives} WHERE company_id = %s AND cycle_id = c.id),
               (SELECT max(updated_at) FROM {objectives} WHERE company_id = %s AND cycle_id = c.id),
               (SELECT count(*) FROM {key_results} WHERE company_id = %s AND objective_id IN ({of_cycle})),
               (SELECT max(updated_at) FROM {key_results} WHERE company_id = %s AND objective_id IN ({of_cycle})),
               (SELECT count(*) FROM {links} WHERE company_id = %s AND source_id IN ({of_cycle})),
               (SELECT max(created_at) FROM {links} WHERE company_id = %s AND source_id IN ({of_cycle}))
        FROM {Cycle._meta.db_table} c WHERE c.company_id = %s AND c.id = %s
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk] * 11 + [cycle.pk])
        row = cursor.fetchone()
    if row is None:
        return "none"

    def stamp(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, dt.datetime):
            return str(int(value.timestamp() * 1_000_000))
        return str(value)

    return ".".join(stamp(part) for part in row)
