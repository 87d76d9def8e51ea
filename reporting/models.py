# CRM funnel data, KPI definitions, attribution and KPI snapshots (issue: board KPI page).
