"""The board's KPIs in board order (``KPIS``), computing them for a period with their targets, and checking
their values in on the key results bound to them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from objectives.models import Cycle
from objectives.services.cascade import check_in_create

from ..models import KpiBinding
from ..periods import Period, _cycle_on, cycle_period
from ..targets import TargetBook
from .base import KpiDefinition, KpiResult
from .funnel import (
    cost_per_qualified_lead,
    funnel_conversion,
    lead_to_customer_rate,
    qualified_leads_focus_growth,
    qualified_leads_focus_segments,
)
from .handover import mql_response_hours, sla_compliance
from .pipeline import (
    marketing_influenced_pipeline,
    marketing_influenced_revenue,
    pipeline_contribution,
    pipeline_velocity,
)
from .planning import active_initiatives_vs_previous, budget_bound_share, okr_progress

logger = logging.getLogger(__name__)


KPIS: dict[str, KpiDefinition] = {
    d.key: d
    for d in [
        KpiDefinition(
            "pipeline_contribution",
            _("Marketing contribution to pipeline"),
            "currency",
            True,
            pipeline_contribution,
            _("Amount of marketing-sourced opportunities created in the period, and its share of all."),
            aggregation="sum",
        ),
        KpiDefinition(
            "marketing_influenced_pipeline",
            _("Marketing-influenced pipeline"),
            "currency",
            True,
            marketing_influenced_pipeline,
            _("Amount of the opportunities created in the period whose lead had a marketing touch before."),
            aggregation="sum",
        ),
        KpiDefinition(
            "marketing_influenced_revenue",
            _("Marketing-influenced revenue"),
            "currency",
            True,
            marketing_influenced_revenue,
            _("Amount won in the period on opportunities whose lead had a marketing touch before their creation."),
            aggregation="sum",
        ),
        KpiDefinition(
            "cost_per_qualified_lead",
            _("Cost per qualified lead"),
            "currency",
            False,
            cost_per_qualified_lead,
            _("Actual marketing spend in the period divided by the leads reaching the qualified stage."),
        ),
        KpiDefinition(
            "funnel_conversion",
            _("Funnel conversion"),
            "percent",
            True,
            funnel_conversion,
            _("Lead → MQL → SAL → SQL → opportunity → won for the leads created in the period."),
        ),
        KpiDefinition(
            "pipeline_velocity",
            _("Pipeline velocity (per day)"),
            "currency",
            True,
            pipeline_velocity,
            _("Open opportunities × win rate × average won deal size ÷ average sales-cycle days."),
        ),
        KpiDefinition(
            "lead_to_customer_rate",
            _("Lead-to-customer rate"),
            "percent",
            True,
            lead_to_customer_rate,
            _("New customers in the period divided by the leads created in the period."),
        ),
        KpiDefinition(
            "qualified_leads_focus_segments",
            _("Qualified leads in focus segments"),
            "number",
            True,
            qualified_leads_focus_segments,
            _("Leads reaching the qualified stage in the period, per focus segment."),
            aggregation="sum",
        ),
        KpiDefinition(
            "qualified_leads_focus_growth",
            _("Growth of qualified leads in focus segments"),
            "percent",
            True,
            qualified_leads_focus_growth,
            _("Qualified focus-segment leads in the period against the same number of days before it."),
        ),
        KpiDefinition(
            "budget_bound_share",
            _("Budget bound to key results"),
            "percent",
            True,
            budget_bound_share,
            _("Planned budget bound to a key result divided by all planned budget of the period's cycles."),
        ),
        KpiDefinition(
            "active_initiatives_vs_previous",
            _("Active initiatives vs previous cycle"),
            "percent",
            False,
            active_initiatives_vs_previous,
            _("Change in the number of pursued initiatives against the previous cycle."),
        ),
        KpiDefinition(
            "okr_progress",
            _("Average OKR progress"),
            "percent",
            True,
            okr_progress,
            _("Mean progress of the key results of the cycle, per level and objective."),
        ),
        KpiDefinition(
            "sla_compliance",
            _("Handover SLA compliance"),
            "percent",
            True,
            sla_compliance,
            _("Share of MQLs and SALs that sales handled within the agreed working hours."),
        ),
        KpiDefinition(
            "mql_response_hours",
            _("Median MQL → SAL response time"),
            "hours",
            False,
            mql_response_hours,
            _("Median working hours until sales accepted or rejected an MQL of the period."),
        ),
    ]
}


def compute_kpis(*, company, period: Period, keys: Iterable[str] | None = None, book=None) -> list[KpiResult]:
    """Compute the KPIs ``keys`` (default: all, in board order) for ``company`` and ``period``.

    Each result carries the period's target (reporting.targets: set for the period, or derived from the cycle
    target). ValueError for an unknown key. The number of queries depends only on the number of KPIs, never on the
    data. Pass ``book`` (a reporting.targets.TargetBook) to reuse loaded targets across periods.
    """
    selected = list(keys) if keys is not None else list(KPIS)
    unknown = [k for k in selected if k not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI: {', '.join(unknown)}")
    book = book or TargetBook(company)
    results = []
    for key in selected:
        result = KPIS[key].compute(company, period)
        found = book.for_period(key, period)
        result.target = found.value if found is not None else None
        results.append(result)
    return results


def _automatic_check_in(*, key_result, value: Decimal, comment: str, at: dt.datetime) -> None:
    """Append an automatic check-in (no author) through the cascade's service, which locks the key result, refuses
    closed cycles and moves the current value."""
    check_in_create(
        key_result=key_result,
        value=value,
        confidence=key_result.confidence,
        comment=comment,
        actor=None,
        is_automatic=True,
        at=at,
    )


@transaction.atomic
def kpi_auto_check_ins(*, company, results: Iterable[KpiResult]) -> int:
    """Check the KPI values in on every key result bound to them; returns the number of check-ins created.

    Only key results of cycles that are not closed receive one, and only when the value differs from the key
    result's current value (hourly refreshes of an unchanged KPI add nothing, so a refresh stays idempotent). Pass
    the results computed for the period the bound key results measure (normally their cycle). Goes through
    ``objectives.services.cascade.check_in_create`` (actor None = the system).
    """
    values = {r.key: r.value for r in results if r.value is not None}
    if not values:
        return 0
    bindings = (
        KpiBinding.objects.filter(company=company, kpi_key__in=values)
        .exclude(key_result__objective__cycle__state=Cycle.State.CLOSED)
        .select_related("key_result")
        .order_by("key_result_id", "kpi_key")
    )
    now = timezone.now()
    created = 0
    for binding in bindings:
        key_result = binding.key_result
        value = Decimal(values[binding.kpi_key]).quantize(Decimal("0.0001"))
        if key_result.current_value is not None and key_result.current_value == value:
            continue
        label = KPIS[binding.kpi_key].label if binding.kpi_key in KPIS else binding.kpi_key
        comment = str(_("Automatic check-in from the KPI “%(kpi)s”.") % {"kpi": label})
        try:
            with transaction.atomic():
                _automatic_check_in(key_result=key_result, value=value, comment=comment, at=now)
        except ValidationError as exc:  # e.g. a milestone bound to a KPI: the other key results still get theirs
            logger.warning("No automatic check-in on key result %s: %s", key_result.pk, exc.messages)
            continue
        key_result.current_value = value
        created += 1
    return created


def kpi_cycle_period(company, on: dt.date) -> Period | None:
    """The period of the cycle covering ``on`` (for bound key results), or None."""
    cycle = _cycle_on(company, on)
    return cycle_period(cycle) if cycle else None
