"""Reads of the priority matrix: medians, spread, priority, quadrant and rank, in a constant number of queries.

Medians are computed in Python from one query over the cycle's ratings (PostgreSQL's percentile_cont has no
SQLite counterpart, and a cycle holds a few hundred ratings at most).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from objectives.models import Cycle, KeyResult

from ..models import DEFAULT_MIDPOINT, SCALE_MAX, SCALE_MIN, Initiative, InitiativeRating, PrioritySettings

TWO_PLACES = Decimal("0.01")

QUICK_WINS = "quick_wins"
BIG_BETS = "big_bets"
FILL_INS = "fill_ins"
TIME_SINKS = "time_sinks"

QUADRANTS: dict[str, dict] = {
    QUICK_WINS: {
        "label": _("Quick wins"),
        "hint": _("High contribution, low effort: do these first."),
        "colour": "#e3f4e8",
    },
    BIG_BETS: {
        "label": _("Big bets"),
        "hint": _("High contribution, high effort: choose few and staff them well."),
        "colour": "#e5eefb",
    },
    FILL_INS: {
        "label": _("Fill-ins"),
        "hint": _("Low contribution, low effort: only when there is spare capacity."),
        "colour": "#f3f4f6",
    },
    TIME_SINKS: {
        "label": _("Time sinks"),
        "hint": _("Low contribution, high effort: stop or do not start."),
        "colour": "#fbe9e7",
    },
}

# States an initiative can be rated in (dropped and done ones are decided).
RATEABLE_STATES = (Initiative.State.PROPOSED, Initiative.State.ACTIVE, Initiative.State.PAUSED)


def median(values: Sequence[int | Decimal]) -> Decimal | None:
    """The median as a Decimal; of an even count, the mean of the middle two. None for no values."""
    if not values:
        return None
    ordered = sorted(Decimal(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def quadrant(contribution: Decimal, effort: Decimal, midpoint: Decimal = DEFAULT_MIDPOINT) -> str:
    """Values above the midpoint are high; on or below it, low (a 3 on a 1–5 scale is not yet "high")."""
    high_contribution = contribution > midpoint
    high_effort = effort > midpoint
    if high_contribution:
        return BIG_BETS if high_effort else QUICK_WINS
    return TIME_SINKS if high_effort else FILL_INS


def priority(contribution: Decimal, effort: Decimal) -> Decimal:
    return (Decimal(contribution) / Decimal(effort)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def rank_points(points: Iterable[MatrixPoint]) -> list[MatrixPoint]:
    """Scored points by priority (contribution ÷ effort), ties by contribution; a full tie shares its rank
    (1, 2, 2, 4). Unscored points follow, unranked, by title."""
    points = list(points)
    scored = [p for p in points if p.contribution is not None and p.effort is not None]
    unscored = [p for p in points if p.contribution is None or p.effort is None]
    scored.sort(key=lambda p: (-p.priority_exact, -p.contribution, p.title.casefold(), p.id))
    previous_key, previous_rank = None, 0
    for index, point in enumerate(scored, start=1):
        key = (point.priority_exact, point.contribution)
        point.rank = previous_rank if key == previous_key else index
        previous_key, previous_rank = key, point.rank
    for point in unscored:
        point.rank = None
    unscored.sort(key=lambda p: (p.title.casefold(), p.id))
    return scored + unscored


@dataclass
class Spread:
    minimum: int | None = None
    maximum: int | None = None

    @property
    def is_wide(self) -> bool:
        # Two or more scale steps apart: worth a discussion in the room.
        return self.minimum is not None and self.maximum - self.minimum >= 2

    def __str__(self) -> str:
        if self.minimum is None:
            return "–"
        return str(self.minimum) if self.minimum == self.maximum else f"{self.minimum}–{self.maximum}"


@dataclass
class MatrixPoint:
    initiative: Initiative
    id: int
    title: str
    state: str
    state_label: str
    key_results: list[KeyResult]
    rating_count: int = 0
    median_contribution: Decimal | None = None
    median_effort: Decimal | None = None
    contribution_spread: Spread = field(default_factory=Spread)
    effort_spread: Spread = field(default_factory=Spread)
    contribution: Decimal | None = None
    effort: Decimal | None = None
    contribution_is_final: bool = False
    effort_is_final: bool = False
    priority: Decimal | None = None
    priority_exact: Decimal | None = None
    quadrant: str | None = None
    rank: int | None = None
    my_contribution: int | None = None
    my_effort: int | None = None

    @property
    def quadrant_label(self) -> str:
        return str(QUADRANTS[self.quadrant]["label"]) if self.quadrant else ""

    @property
    def is_scored(self) -> bool:
        return self.quadrant is not None


@dataclass
class PriorityMatrix:
    company: Company
    cycle: Cycle
    settings: PrioritySettings
    points: list[MatrixPoint]
    scores_visible: bool
    can_manage: bool
    active_count: int
    previous_cycle: Cycle | None
    previous_active_count: int | None
    rater_count: int

    @property
    def focus_limit(self) -> int | None:
        return self.settings.focus_limit

    @property
    def over_limit(self) -> bool:
        return self.focus_limit is not None and self.active_count > self.focus_limit

    @property
    def change_vs_previous(self) -> int | None:
        """Active initiatives compared with the previous cycle, in whole percent (−40 means 40 % fewer)."""
        if not self.previous_active_count:
            return None
        change = (Decimal(self.active_count - self.previous_active_count) * 100) / self.previous_active_count
        return int(change.quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def change_display(self) -> str:
        change = self.change_vs_previous
        if change is None:
            return "–"
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        return f"{sign}{abs(change)} %"

    @property
    def ranked(self) -> list[MatrixPoint]:
        return [p for p in self.points if p.rank is not None]

    def quadrant_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(QUADRANTS, 0)
        for point in self.points:
            if point.quadrant:
                counts[point.quadrant] += 1
        return counts


def settings_for(cycle: Cycle) -> PrioritySettings:
    """The cycle's settings row, or unsaved defaults when nobody changed anything yet (reads never write)."""
    found = PrioritySettings.objects.filter(cycle=cycle).first()
    return found or PrioritySettings(company_id=cycle.company_id, cycle=cycle)


def priority_cycles(company: Company) -> list[Cycle]:
    """Cycles to choose from: active first, then planning, then closed; newest first within each."""
    order = {Cycle.State.ACTIVE: 0, Cycle.State.PLANNING: 1, Cycle.State.CLOSED: 2}
    cycles = list(Cycle.objects.filter(company=company).order_by("-start_date", "name"))
    return sorted(cycles, key=lambda c: order.get(c.state, 3))


def priority_cycle(company: Company, cycle_id: str | int | None, cycles: list[Cycle] | None = None) -> Cycle | None:
    """The requested cycle of ``company`` (404 for another company's or a malformed id), else the default."""
    if cycle_id not in (None, ""):
        try:
            pk = int(cycle_id)
        except (TypeError, ValueError):
            pk = -1
        if cycles is not None:
            for cycle in cycles:
                if cycle.pk == pk:
                    return cycle
        return get_object_or_404(Cycle, company=company, pk=pk)
    cycles = cycles if cycles is not None else priority_cycles(company)
    return cycles[0] if cycles else None


def previous_cycle(cycle: Cycle) -> tuple[Cycle | None, int | None]:
    """The company's cycle of the same kind that started last before ``cycle``, with the initiatives that ran in it
    (``Initiative.RAN_STATES``: active, paused or done — a closed cycle's initiatives end as done)."""
    found = (
        Cycle.objects.filter(company_id=cycle.company_id, kind=cycle.kind, start_date__lt=cycle.start_date)
        .annotate(active=Count("initiatives", filter=Q(initiatives__state__in=Initiative.RAN_STATES)))
        .order_by("-start_date")
        .first()
    )
    return (found, found.active) if found else (None, None)


def initiatives_for_cycle(company: Company, cycle: Cycle):
    return (
        Initiative.objects.filter(company=company, cycle=cycle)
        .select_related("owner", "final_set_by")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.select_related("objective").order_by("position", "id"))
        )
    )


def priority_matrix(*, company: Company, cycle: Cycle, viewer=None, can_manage: bool = False) -> PriorityMatrix:
    """Everything the matrix page and /priority-matrix/ show, in six queries whatever the size.

    Before the facilitator reveals the ratings, only those who run the round (``can_manage``) see medians and
    spread; everybody else sees their own ratings and any final values (a decision, not a rating).
    """
    settings = settings_for(cycle)
    scores_visible = can_manage or settings.revealed
    initiatives = list(initiatives_for_cycle(company, cycle))
    ratings = InitiativeRating.objects.filter(company=company, initiative__cycle=cycle).values_list(
        "initiative_id", "rater_id", "contribution", "effort"
    )
    by_initiative: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    raters: set[int] = set()
    for initiative_id, rater_id, contribution, effort in ratings:
        by_initiative[initiative_id].append((rater_id, contribution, effort))
        raters.add(rater_id)

    viewer_id = getattr(viewer, "pk", None)
    points = []
    for initiative in initiatives:
        rows = by_initiative.get(initiative.pk, [])
        point = MatrixPoint(
            initiative=initiative,
            id=initiative.pk,
            title=initiative.title,
            state=initiative.state,
            state_label=str(initiative.get_state_display()),
            key_results=list(initiative.key_results.all()),
            rating_count=len(rows),
        )
        for rater_id, contribution, effort in rows:
            if rater_id == viewer_id:
                point.my_contribution, point.my_effort = contribution, effort
        if scores_visible and rows:
            contributions = [r[1] for r in rows]
            efforts = [r[2] for r in rows]
            point.median_contribution = median(contributions)
            point.median_effort = median(efforts)
            point.contribution_spread = Spread(min(contributions), max(contributions))
            point.effort_spread = Spread(min(efforts), max(efforts))
        point.contribution_is_final = initiative.final_contribution is not None
        point.effort_is_final = initiative.final_effort is not None
        point.contribution = initiative.final_contribution if point.contribution_is_final else point.median_contribution
        point.effort = initiative.final_effort if point.effort_is_final else point.median_effort
        if point.contribution is not None and point.effort is not None:
            point.priority_exact = Decimal(point.contribution) / Decimal(point.effort)
            point.priority = priority(point.contribution, point.effort)
            point.quadrant = quadrant(point.contribution, point.effort, settings.midpoint)
        points.append(point)

    previous, previous_active = previous_cycle(cycle)
    return PriorityMatrix(
        company=company,
        cycle=cycle,
        settings=settings,
        points=rank_points(points),
        scores_visible=scores_visible,
        can_manage=can_manage,
        active_count=sum(1 for i in initiatives if i.state == Initiative.State.ACTIVE),
        previous_cycle=previous,
        previous_active_count=previous_active,
        rater_count=len(raters),
    )


def matrix_signature(*, company: Company, cycle: Cycle) -> str:
    """A short fingerprint of everything that moves the matrix; the page polls it to refresh within seconds (every
    open matrix every few seconds: one hand-written statement, as building three ORM aggregates cost more than
    running them)."""
    ratings, initiatives = InitiativeRating._meta.db_table, Initiative._meta.db_table
    rated = (
        f"FROM {ratings} r JOIN {initiatives} i ON i.id = r.initiative_id WHERE r.company_id = %s AND i.cycle_id = %s"
    )
    own = f"FROM {initiatives} WHERE company_id = %s AND cycle_id = %s"
    sql = f"""
        SELECT (SELECT count(*) {rated}), (SELECT max(r.updated_at) {rated}),
               (SELECT count(*) {own}), (SELECT max(updated_at) {own}),
               (SELECT updated_at FROM {PrioritySettings._meta.db_table} WHERE cycle_id = %s)
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk, cycle.pk] * 4 + [cycle.pk])
        rating_count, rating_last, count, last, settings_changed = cursor.fetchone()
    raw = f"{rating_count}|{rating_last}|{count}|{last}|{settings_changed}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def get_initiative(company: Company, pk) -> Initiative:
    """One initiative of ``company``; another company's (or a malformed) id is a 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = -1
    return get_object_or_404(
        Initiative.objects.select_related("cycle", "owner", "final_set_by").prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.select_related("objective"))
        ),
        company=company,
        pk=pk,
    )


def initiative_ratings(*, initiative: Initiative, viewer=None, can_manage: bool = False) -> list[InitiativeRating]:
    """The ratings a viewer may see: all of them for those who run the round or after the reveal, else their own."""
    ratings = InitiativeRating.objects.filter(company_id=initiative.company_id, initiative=initiative).select_related(
        "rater"
    )
    if not (can_manage or settings_for(initiative.cycle).revealed):
        ratings = ratings.filter(rater_id=getattr(viewer, "pk", None))
    return list(ratings.order_by("rater__last_name", "rater__username"))


def rating_queue(*, company: Company, cycle: Cycle, rater) -> list[tuple[Initiative, InitiativeRating | None]]:
    """The initiatives a participant rates, in a stable order, each with the participant's rating (or None)."""
    initiatives = list(
        Initiative.objects.filter(company=company, cycle=cycle, state__in=RATEABLE_STATES)
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id")),
            Prefetch("ratings", queryset=InitiativeRating.objects.filter(rater_id=rater.pk), to_attr="viewer_ratings"),
        )
        .order_by("title", "id")
    )
    return [(i, i.viewer_ratings[0] if i.viewer_ratings else None) for i in initiatives]


def key_result_choices(company: Company, cycle: Cycle):
    """Key results an initiative of ``cycle`` may serve: same company, objectives of the same cycle."""
    return (
        KeyResult.objects.filter(company=company, objective__cycle=cycle)
        .select_related("objective")
        .order_by("objective__position", "objective_id", "position", "id")
    )


def scale_steps() -> range:
    return range(SCALE_MIN, SCALE_MAX + 1)


def member_choices(company: Company):
    """People who can own an initiative: the company's members."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__company=company).order_by("last_name", "first_name", "id")
