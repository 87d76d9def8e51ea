"""Every state change of the reporting domain, one module per concern: the KPI refresh (kpi, kpi_incremental),
KPI alerts, the weekly digest, KPI targets."""
