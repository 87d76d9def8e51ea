# CRM funnel data, KPI definitions, attribution and KPI snapshots (issue: board KPI page).

from .models_snapshots import DigestSubscription, KpiRefresh, KpiSnapshot  # noqa: F401  (board: snapshots)
