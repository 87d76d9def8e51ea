# KPI definitions, attribution, KPI snapshots, the board and its settings (the CRM import pages are crm's).
from django.urls import include, path

from . import views_settings

app_name = "reporting"

urlpatterns: list = [
    path("board/settings/", views_settings.reporting_settings_page, name="reporting_settings"),
    path("board/settings/bindings/", views_settings.kpi_binding_add, name="kpi_binding_add"),
    path("board/settings/bindings/<int:pk>/delete/", views_settings.kpi_binding_remove, name="kpi_binding_delete"),
    path("", include("reporting.urls_board")),
]
