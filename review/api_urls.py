"""Weekly review API routes (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("review/actions/", api.ReviewActionListAPI.as_view(), name="api-review-actions"),
    path(
        "review/actions/<int:review_action_id>/", api.ReviewActionDetailAPI.as_view(), name="api-review-action-detail"
    ),
]
