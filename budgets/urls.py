from django.urls import path

from . import views
from .views import partners

app_name = "budgets"

urlpatterns = [
    path("budgets/", views.queue, name="queue"),
    path("budgets/overview/", views.overview, name="overview"),
    path("budgets/new/", views.line_create, name="line_create"),
    path("budgets/import/", views.import_page, name="import"),
    path("budgets/export/", views.export_lines, name="export"),
    path("budgets/settings/", views.settings_page, name="settings"),
    path("budgets/key-results/", views.key_result_search, name="kr_search"),
    path("budgets/suggestions/", views.initiative_suggestions, name="suggestions"),
    path("budgets/lines/<int:pk>/", views.line_detail, name="line"),
    path("budgets/lines/<int:pk>/edit/", views.line_edit, name="line_edit"),
    path("budgets/lines/<int:pk>/submit/", views.line_submit, name="line_submit"),
    path("budgets/lines/<int:pk>/approve/", views.line_approve, name="line_approve"),
    path("budgets/lines/<int:pk>/reject/", views.line_reject, name="line_reject"),
    path("budgets/lines/<int:pk>/bind/", views.line_bind, name="line_bind"),
    path("budgets/lines/<int:pk>/spend/", views.spend_add, name="spend_add"),
    # External partners: their own area, and the CMO's scorecard with the assignments.
    path("partner/", partners.partner_home, name="partner_home"),
    path(
        "partner/key-results/<int:key_result_id>/check-in/",
        partners.partner_check_in,
        name="partner_check_in",
    ),
    path("partners/", partners.partner_scorecard_page, name="partner_scorecard"),
    path("partners/<int:membership_id>/initiatives/", partners.partner_assign, name="partner_assign"),
    path(
        "partners/<int:membership_id>/initiatives/<int:initiative_id>/remove/",
        partners.partner_unassign,
        name="partner_unassign",
    ),
    path("partners/<int:membership_id>/budget/", partners.partner_budget_share, name="partner_budget_share"),
]
