from django.urls import path

from .api import partners
from .api.lines import BudgetLineViewSet, BudgetSettingsAPI

lines = BudgetLineViewSet.as_view({"get": "list", "post": "create"})
line = BudgetLineViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"})

urlpatterns = [
    path("budget-lines/", lines, name="api-budget-lines-list"),
    path("budget-lines/<int:pk>/", line, name="api-budget-lines-detail"),
    path(
        "budget-lines/<int:pk>/submit/", BudgetLineViewSet.as_view({"post": "submit"}), name="api-budget-lines-submit"
    ),
    path(
        "budget-lines/<int:pk>/approve/",
        BudgetLineViewSet.as_view({"post": "approve"}),
        name="api-budget-lines-approve",
    ),
    path(
        "budget-lines/<int:pk>/reject/", BudgetLineViewSet.as_view({"post": "reject"}), name="api-budget-lines-reject"
    ),
    path(
        "budget-lines/<int:pk>/spend/",
        BudgetLineViewSet.as_view({"get": "spend", "post": "spend"}),
        name="api-budget-lines-spend",
    ),
    path("budget-lines/<int:pk>/audit/", BudgetLineViewSet.as_view({"get": "audit"}), name="api-budget-lines-audit"),
    path("budget-settings/", BudgetSettingsAPI.as_view(), name="api-budget-settings"),
    path("partner/initiatives/", partners.PartnerInitiativesAPI.as_view(), name="api-partner-initiatives"),
    path(
        "partner/key-results/<int:key_result_id>/check-ins/",
        partners.PartnerCheckInsAPI.as_view(),
        name="api-partner-check-ins",
    ),
    path("partners/", partners.PartnerScorecardAPI.as_view(), name="api-partners"),
    path("partners/<int:membership_id>/", partners.PartnerDetailAPI.as_view(), name="api-partner"),
    path(
        "partners/<int:membership_id>/initiatives/",
        partners.PartnerAssignmentsAPI.as_view(),
        name="api-partner-initiatives-assign",
    ),
    path(
        "partners/<int:membership_id>/initiatives/<int:initiative_id>/",
        partners.PartnerAssignmentAPI.as_view(),
        name="api-partner-assignment",
    ),
]
