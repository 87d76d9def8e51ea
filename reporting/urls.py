# CRM funnel data, KPI definitions, attribution and KPI snapshots (issue: board KPI page).
from django.urls import path

from .urls_crm import urlpatterns as crm_patterns
from .views import alerts as views_alerts
from .views import board as views_board
from .views import export as views_export
from .views import targets as views_targets

app_name = "reporting"

urlpatterns: list = [
    *crm_patterns,
    # The board KPI page, its partials, targets, export and alerts.
    path("board/", views_board.board, name="board"),
    path("board/refresh/", views_board.board_refresh, name="board_refresh"),
    path("board/refresh/<int:refresh_id>/", views_board.board_refresh_status, name="board_refresh_status"),
    path("board/attribution/", views_board.board_attribution, name="board_attribution"),
    path("board/targets/", views_targets.board_targets, name="board_targets"),
    path("board/digest/", views_board.board_digest, name="board_digest"),
    path("board/export.<str:fmt>", views_export.board_export, name="board_export"),
    path("board/alerts/", views_alerts.board_alerts, name="board_alerts"),
    path("board/alerts/subscribe/", views_alerts.board_alert_subscribe, name="board_alert_subscribe"),
    path("board/alerts/settings/", views_alerts.board_alert_settings, name="board_alert_settings"),
    path(
        "board/alerts/<int:kpi_alert_id>/acknowledge/",
        views_alerts.board_alert_acknowledge,
        name="board_alert_acknowledge",
    ),
]
