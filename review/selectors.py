"""Read queries of the weekly execution review (page, handout, API): what needs attention in one ISO week, each with
its owner, and the decision and action log of that week with the open actions carried over from earlier weeks.

Query counts do not grow with the data: key results with their check-in figures at the week's end (one query with
subqueries), initiatives with budget and spend (two), budget lines awaiting a decision (one), KPI alerts and their
owners (two), the action log (one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from budgets.models import BudgetLine, SpendEntry
from companies.models import Company
from core.numbers import format_decimal, format_money, format_percent
from core.people import display_name
from core.tenancy import for_company
from objectives.models import CheckIn, Cycle, Initiative, KeyResult, key_result_progress
from objectives.selectors.cascade import expected_progress, reminder_after_days, score_status
from reporting import selectors_alerts

from .models import ReviewAction

ZERO = Decimal(0)
SLA_BREACHES_SHOWN = 50  # the most overdue; the SLA page lists them all
ONE = Decimal(1)


@dataclass
class ReviewItem:
    title: str
    detail: str
    owner: str
    url: str = ""
    context: str = ""  # e.g. the objective a key result belongs to


@dataclass
class ReviewWeek:
    start: dt.date  # Monday
    end: dt.date  # Sunday

    @property
    def key(self) -> str:
        year, week, _day = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def number(self) -> int:
        return self.start.isocalendar()[1]

    @property
    def previous(self) -> ReviewWeek:
        return week_of(self.start - dt.timedelta(days=7))

    @property
    def next(self) -> ReviewWeek:
        return week_of(self.start + dt.timedelta(days=7))

    def datetime_range(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        return start, start + dt.timedelta(days=7)


def week_of(day: dt.date) -> ReviewWeek:
    start = day - dt.timedelta(days=day.weekday())
    return ReviewWeek(start=start, end=start + dt.timedelta(days=6))


def parse_week(raw: str | None, *, today: dt.date) -> ReviewWeek:
    """``2026-W49`` → that ISO week; anything else (or nothing) → the week of ``today``."""
    text = (raw or "").strip().upper()
    try:
        year, week = text.split("-W")
        return week_of(dt.date.fromisocalendar(int(year), int(week), 1))
    except ValueError:
        return week_of(today)


@dataclass
class WeekReview:
    week: ReviewWeek
    confidence_dropped: list[ReviewItem] = field(default_factory=list)
    behind_trajectory: list[ReviewItem] = field(default_factory=list)
    missing_check_ins: list[ReviewItem] = field(default_factory=list)
    initiatives: list[ReviewItem] = field(default_factory=list)
    budget_lines: list[ReviewItem] = field(default_factory=list)
    kpi_alerts: list[dict] = field(default_factory=list)
    sla_breaches: list[ReviewItem] | None = None  # None: no SLA app installed, the section is left out
    actions: list[ReviewAction] = field(default_factory=list)


def _pct(value: Decimal) -> str:
    return format_percent(Decimal(value), decimals=0)


def _key_results(company: Company, week: ReviewWeek, *, now: dt.datetime):
    start, end = week.datetime_range()

    def latest(field_name: str, **when):
        return Subquery(
            CheckIn.objects.filter(key_result=OuterRef("pk"), **when)
            .order_by("-created_at", "-id")
            .values(field_name)[:1]
        )

    return list(
        KeyResult.objects.filter(
            company=company,
            objective__cycle__state=Cycle.State.ACTIVE,
            objective__cycle__start_date__lte=week.end,
            objective__cycle__end_date__gte=week.start,
            created_at__lt=end,
        )
        .annotate(
            confidence_before=latest("confidence", created_at__lt=start),
            confidence_in_week=latest("confidence", created_at__gte=start, created_at__lt=end),
            value_at_end=latest("value", created_at__lt=end),
            last_check_in=latest("created_at", created_at__lt=min(end, now)),
        )
        .select_related("objective__cycle", "owner")
        .order_by("objective__cycle__start_date", "objective__position", "position", "id")
    )


def _kr_item(company: Company, kr, detail: str) -> ReviewItem:
    return ReviewItem(
        title=kr.title,
        detail=detail,
        owner=display_name(kr.owner, nobody=_("no owner")),
        url=reverse(
            "objectives:objective_detail", kwargs={"company_slug": company.slug, "objective_id": kr.objective_id}
        ),
        context=kr.objective.title,
    )


def _sla_breaches(company: Company, week: ReviewWeek, *, now: dt.datetime) -> list[ReviewItem] | None:
    """The handover SLA clocks still running past their deadline at the week's end (or now, for the running week),
    most overdue first, from the SLA app (sla.selectors.open_breaches). Without the app the review has no SLA
    section at all (None)."""
    if not apps.is_installed("sla"):
        return None
    # Imported here: the SLA app is optional; the review works without it in INSTALLED_APPS.
    from sla.selectors import open_breaches

    _start, end = week.datetime_range()
    url = reverse("sla:breaches", kwargs={"company_slug": company.slug})
    return [
        ReviewItem(
            title=f"{breach.rule_label}: {breach.external_id}",
            detail=_("%(hours)s working hours overdue (deadline %(deadline)s)")
            % {
                "hours": format_decimal(breach.hours_overdue, decimals=1),
                "deadline": formats.date_format(timezone.localtime(breach.deadline), "SHORT_DATETIME_FORMAT"),
            },
            owner=breach.owner or _("no owner"),
            url=url,
            context=breach.segment,
        )
        for breach in open_breaches(company, at=min(end, now), limit=SLA_BREACHES_SHOWN)
    ]


def week_review(*, company: Company, week: ReviewWeek, now: dt.datetime | None = None) -> WeekReview:
    now = now or timezone.now()
    review = WeekReview(week=week)
    today = timezone.localtime(now).date()
    as_of = min(week.end, today)
    _start, end = week.datetime_range()
    cutoff = min(end, now) - dt.timedelta(days=reminder_after_days(company))
    green_from = Decimal(company.score_green_from)
    behind_ids: set[int] = set()
    for kr in _key_results(company, week, now=now):
        before, during = kr.confidence_before, kr.confidence_in_week
        if before is not None and during is not None and during < before:
            review.confidence_dropped.append(
                _kr_item(
                    company,
                    kr,
                    _("Confidence %(before)s → %(after)s") % {"before": _pct(before), "after": _pct(during)},
                )
            )
        cycle = kr.objective.cycle
        value = kr.value_at_end if kr.value_at_end is not None else None
        progress = key_result_progress(kr.kind, kr.start_value, kr.target_value, value)
        expected = expected_progress(cycle=cycle, on=as_of)
        pace = ONE if expected <= ZERO else min(ONE, progress / expected)
        if pace < green_from:
            behind_ids.add(kr.pk)
            _key, word = score_status(company=company, score=pace)
            review.behind_trajectory.append(
                _kr_item(
                    company,
                    kr,
                    _("%(status)s: progress %(progress)s, expected %(expected)s by %(date)s")
                    % {
                        "status": word,
                        "progress": _pct(progress),
                        "expected": _pct(expected),
                        "date": formats.date_format(as_of, "SHORT_DATE_FORMAT"),
                    },
                )
            )
        last = kr.last_check_in
        if (last is None and kr.created_at < cutoff) or (last is not None and last < cutoff):
            detail = (
                _("Last check-in %(date)s")
                % {"date": formats.date_format(timezone.localtime(last), "SHORT_DATE_FORMAT")}
                if last is not None
                else _("No check-in yet")
            )
            review.missing_check_ins.append(_kr_item(company, kr, detail))
    review.initiatives = _initiatives(company, week, behind_ids)
    review.budget_lines = _budget_lines(company)
    owners = selectors_alerts.kpi_owners(company=company)
    review.kpi_alerts = [
        selectors_alerts.present_alert(a, currency=company.currency, owner=owners.get(a.kpi))
        for a in selectors_alerts.alerts_for_week(company=company, start=week.start, end=week.end)
    ]
    review.sla_breaches = _sla_breaches(company, week, now=now)
    review.actions = week_actions(company=company, week=week)
    return review


def _initiatives(company: Company, week: ReviewWeek, behind_ids: set[int]) -> list[ReviewItem]:
    money = DecimalField(max_digits=16, decimal_places=2)
    approved = (
        BudgetLine.objects.filter(initiative=OuterRef("pk"), state=BudgetLine.State.APPROVED)
        .order_by()
        .values("initiative")
        .annotate(total=Sum("planned_amount"))
        .values("total")
    )
    spent = (
        SpendEntry.objects.filter(line__initiative=OuterRef("pk"), date__lte=week.end)
        .order_by()
        .values("line__initiative")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = list(
        for_company(Initiative, company)
        .filter(state=Initiative.State.ACTIVE, cycle__state=Cycle.State.ACTIVE)
        .annotate(
            approved=Coalesce(Subquery(approved, output_field=money), ZERO, output_field=money),
            spent=Coalesce(Subquery(spent, output_field=money), ZERO, output_field=money),
        )
        .select_related("owner")
        .order_by("title", "id")
    )
    links: dict[int, set[int]] = {}
    for initiative_id, key_result_id in Initiative.key_results.through.objects.filter(
        initiative__in=[r.pk for r in rows]
    ).values_list("initiative_id", "keyresult_id"):
        links.setdefault(initiative_id, set()).add(key_result_id)
    items = []
    for row in rows:
        reasons = []
        behind = links.get(row.pk, set()) & behind_ids
        if behind:
            reasons.append(
                ngettext(
                    "feeds a key result behind its trajectory",
                    "feeds %(count)s key results behind their trajectory",
                    len(behind),
                )
                % {"count": len(behind)}
            )
        if row.spent > row.approved:
            reasons.append(
                _("over budget: %(spent)s spent of %(approved)s approved")
                % {
                    "spent": format_money(row.spent, company.currency),
                    "approved": format_money(row.approved, company.currency),
                }
            )
        if reasons:
            items.append(
                ReviewItem(
                    title=row.title,
                    detail="; ".join(reasons),
                    owner=display_name(row.owner, nobody=_("no owner")),
                    url=reverse("objectives:priorities-initiative", args=[company.slug, row.pk]),
                )
            )
    return items


def _budget_lines(company: Company) -> list[ReviewItem]:
    rows = (
        BudgetLine.objects.for_company(company)
        .filter(state=BudgetLine.State.SUBMITTED)
        .select_related("requester", "channel")
        .order_by("updated_at", "id")
    )
    return [
        ReviewItem(
            title=line.title,
            detail=_("%(amount)s · %(channel)s · waiting since %(date)s")
            % {
                "amount": format_money(line.planned_amount, company.currency),
                "channel": line.channel.name,
                "date": formats.date_format(timezone.localtime(line.updated_at), "SHORT_DATE_FORMAT"),
            },
            owner=display_name(line.requester, nobody=_("no owner")),
            url=reverse("budgets:line", kwargs={"company_slug": company.slug, "pk": line.pk}),
        )
        for line in rows
    ]


def actions_queryset(company: Company):
    return ReviewAction.objects.for_company(company).select_related(
        "owner", "objective", "key_result", "initiative", "created_by"
    )


def week_actions(*, company: Company, week: ReviewWeek) -> list[ReviewAction]:
    """The actions logged in ``week`` and those logged earlier that were still open when it began (carried over:
    ``action.carried_over`` is True), open ones first by due date."""
    start, _end = week.datetime_range()
    rows = list(
        actions_queryset(company)
        .filter(week_start__lte=week.start)
        .filter(Q(week_start=week.start) | Q(completed_at__isnull=True) | Q(completed_at__gte=start))
        .order_by("-status", "due_date", "id")  # "open" before "done"
    )
    for row in rows:
        row.carried_over = row.week_start < week.start
    return rows


def action_for(*, company: Company, action_id: int) -> ReviewAction | None:
    return actions_queryset(company).filter(pk=action_id).first()
