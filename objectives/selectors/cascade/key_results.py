"""Key results across the cascade: a member's own, the stale ones, one key result's check-in history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from companies.models import Company

from ...models import CheckIn, Cycle, KeyResult
from .rows import KeyResultRow
from .scoring import _Status, expected_progress, reminder_after_days
from .tree import KeyResultNode, _key_result_node

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
