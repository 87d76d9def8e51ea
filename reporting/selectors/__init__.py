"""Read queries of the reporting domain that pages, API and tasks share, one module per concern (KPI tiles and
history, alerts)."""
