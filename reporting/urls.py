# CRM funnel data, KPI definitions, attribution and KPI snapshots (issue: board KPI page).
from django.urls import include, path

from .urls_crm import urlpatterns as crm_patterns

app_name = "reporting"

urlpatterns: list = [
    *crm_patterns,
    path("", include("reporting.urls_board")),
]
