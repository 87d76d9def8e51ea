"""The board KPIs: one definition per KPI, each computed in the database for one company and one period.

Every ``compute`` function runs a fixed number of aggregate queries (Count/Sum/Avg with filters, Exists
subqueries) whatever the amount of data — no Python loop over leads or opportunities. Its docstring states the
formula and where the definition comes from. Percentages are in percent (12.50 = 12.5 %), money in the company's
currency with two decimals.

The choices behind the numbers are company settings (:class:`reporting.models.ReportingSettings`): which stage
counts as "qualified" (default MQL), the focus segments, the lead sources that count as sales-sourced.

One module per KPI family (``pipeline``, ``funnel``, ``planning``, ``handover``) on the shared ``base``; the
registry (``KPIS`` in board order, ``compute_kpis``, the automatic check-ins) is ``registry``. Callers use this
package's names (``kpis.KPIS``, ``kpis.compute_kpis``), so one attribute is the one to read or replace.
"""

from .base import (
    REACHED_DEFINITION,
    KpiDefinition,
    KpiResult,
    kpi_target,
    qualified_counts,
    reporting_settings,
    stage_reached_at,
)
from .registry import KPIS, compute_kpis, kpi_auto_check_ins, kpi_cycle_period

__all__ = [
    "KPIS",
    "REACHED_DEFINITION",
    "KpiDefinition",
    "KpiResult",
    "compute_kpis",
    "kpi_auto_check_ins",
    "kpi_cycle_period",
    "kpi_target",
    "qualified_counts",
    "reporting_settings",
    "stage_reached_at",
]
