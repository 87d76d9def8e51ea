# CRM funnel data, KPI definitions, attribution and KPI snapshots (issue: board KPI page).
from django.urls import include, path

app_name = "reporting"

urlpatterns: list = [
    path("", include("reporting.urls_board")),
]
