from django.urls import path

from .api import alerts as api_alerts
from .api import kpi as api_kpi
from .api_urls_crm import urlpatterns as crm_patterns

urlpatterns: list = [
    *crm_patterns,
    # KPIs, targets, attribution and KPI alerts.
    path("kpis/", api_kpi.KpiListAPI.as_view(), name="api-kpis"),
    path("kpis/refresh/", api_kpi.KpiRefreshAPI.as_view(), name="api-kpi-refresh"),
    path("kpis/refresh/<int:refresh_id>/", api_kpi.KpiRefreshStatusAPI.as_view(), name="api-kpi-refresh-status"),
    path("kpi-targets/", api_kpi.KpiTargetListAPI.as_view(), name="api-kpi-targets"),
    path("kpi-targets/<str:kpi>/<str:period_key>/", api_kpi.KpiTargetDetailAPI.as_view(), name="api-kpi-target-detail"),
    path("kpis/<str:key>/history/", api_kpi.KpiHistoryAPI.as_view(), name="api-kpi-history"),
    path("attribution/", api_kpi.AttributionAPI.as_view(), name="api-attribution"),
    path("kpi-alerts/", api_alerts.KpiAlertListAPI.as_view(), name="api-kpi-alerts"),
    path("kpi-alerts/subscriptions/", api_alerts.KpiAlertSubscriptionAPI.as_view(), name="api-kpi-alert-subscriptions"),
    path("kpi-alerts/settings/", api_alerts.KpiAlertSettingsAPI.as_view(), name="api-kpi-alert-settings"),
    path("kpi-alerts/<int:kpi_alert_id>/", api_alerts.KpiAlertDetailAPI.as_view(), name="api-kpi-alert-detail"),
    path(
        "kpi-alerts/<int:kpi_alert_id>/acknowledge/",
        api_alerts.KpiAlertAcknowledgeAPI.as_view(),
        name="api-kpi-alert-acknowledge",
    ),
]
