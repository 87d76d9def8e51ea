"""Budget lines, channels, cycles and key results as pages, API and imports read them."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    F,
    Q,
    QuerySet,
)

from companies.models import Company
from core.tenancy import for_company, get_for_company_or_404
from history.selectors import history_for
from objectives.models import Cycle, Initiative, KeyResult

from ..models import BudgetAuditEntry, BudgetLine, Channel, SpendEntry
from .base import State, _actual_subquery


def current_cycle(company: Company, *, today: dt.date | None = None) -> Cycle | None:
    """The cycle budgets are planned in by default: the longest one covering today (the fiscal year rather than a
    quarter), else the newest."""
    today = today or dt.date.today()
    cycles = for_company(Cycle, company)
    covering = cycles.filter(start_date__lte=today, end_date__gte=today).order_by("start_date", "-end_date").first()
    return covering or cycles.order_by("-start_date").first()


def company_cycles(company: Company) -> QuerySet[Cycle]:
    return for_company(Cycle, company).order_by("-start_date", "name")


def budget_lines(*, company: Company) -> QuerySet[BudgetLine]:
    """Lines of one company with everything a table row shows, and their actual spend as ``actual``."""
    return (
        BudgetLine.objects.for_company(company)
        .select_related(
            "channel",
            "cycle",
            "initiative",
            "key_result__objective",
            "requester",
            "last_changed_by",
            "approver",
            "cmo_approved_by",
        )
        .annotate(actual=_actual_subquery())
    )


def budget_line_for(*, company: Company, pk) -> BudgetLine:
    """One line of ``company``; another company's line is a 404."""
    return get_for_company_or_404(budget_lines(company=company), company, pk=pk)


def filtered_lines(
    *,
    company: Company,
    cycle: Cycle | None = None,
    state: str | None = None,
    channel: int | str | None = None,
    requester: int | str | None = None,
    bound: bool | None = None,
    search: str | None = None,
) -> QuerySet[BudgetLine]:
    qs = budget_lines(company=company)
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel_id=channel)
    if requester:
        qs = qs.filter(requester_id=requester)
    if bound is not None:
        qs = qs.filter(key_result__isnull=not bound)
    if search:
        qs = qs.filter(title__icontains=search)
    return qs.order_by("channel__position", "channel__name", "title", "pk")


def queue_lines(*, company: Company, state: str | None = State.SUBMITTED, **filters) -> QuerySet[BudgetLine]:
    """The approval queue: submitted lines first those waiting for a binding, then by channel and title."""
    return filtered_lines(company=company, state=state, **filters).order_by(
        F("key_result").asc(nulls_first=True), "channel__position", "title", "pk"
    )


def channels(*, company: Company, active_only: bool = False) -> QuerySet[Channel]:
    qs = Channel.objects.for_company(company)
    return qs.filter(is_active=True) if active_only else qs


def requesters(*, company: Company):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(requested_budget_lines__company=company)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def audit_trail(*, line: BudgetLine) -> QuerySet[BudgetAuditEntry]:
    return BudgetAuditEntry.objects.filter(line=line).select_related("actor").order_by("at", "id")


def spend_entries(*, line: BudgetLine) -> QuerySet[SpendEntry]:
    return SpendEntry.objects.filter(line=line).select_related("created_by").order_by("-date", "-id")


def key_result_search(
    *, company: Company, query: str = "", covering: Cycle | None = None, limit: int = 10
) -> list[KeyResult]:
    """Key results of ``company`` whose title contains ``query``; with ``covering`` only those whose objective's
    cycle covers that cycle (the ones a line of that cycle can be approved against)."""
    qs = for_company(KeyResult, company).select_related("objective__cycle")
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(objective__title__icontains=query))
    if covering is not None:
        qs = qs.filter(Cycle.covering(covering.start_date, covering.end_date, prefix="objective__cycle__"))
    return list(qs.order_by("objective__position", "objective_id", "position", "pk")[:limit])


def initiative_key_results(*, company: Company, initiative: Initiative | int | None) -> list[KeyResult]:
    """The key results an initiative contributes to: the suggestions when a line is bound to that initiative."""
    if not initiative:
        return []
    pk = getattr(initiative, "pk", initiative)
    return list(
        for_company(KeyResult, company)
        .filter(initiatives__pk=pk)
        .select_related("objective__cycle")
        .order_by("objective_id", "position", "pk")
    )


def budget_settings_last_change(*, company: Company):
    """The latest recorded change of the company's approval limit (a ChangeRecord: actor, at, changes) or None."""
    return history_for(company=company, kind="budgetsettings").filter(action="updated").first()
