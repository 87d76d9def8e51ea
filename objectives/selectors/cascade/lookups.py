"""One cycle, objective or key result of a company (another company's is a 404), and the default cycle."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from companies.models import Company

from ...models import Cycle, KeyResult, Objective

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
