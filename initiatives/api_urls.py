"""API routes of the priorities area (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from .api import initiatives as api

STATE_ACTIONS = ["activate", "pause", "done", "drop"]
ROUND_ACTIONS = ["open", "close", "reveal", "conceal"]

urlpatterns = [
    path("initiatives/", api.InitiativeListAPI.as_view(), name="api-initiatives"),
    path("initiatives/<int:pk>/", api.InitiativeDetailAPI.as_view(), name="api-initiative"),
    path("initiatives/<int:pk>/ratings/", api.InitiativeRatingsAPI.as_view(), name="api-initiative-ratings"),
    path("initiatives/<int:pk>/final/", api.InitiativeFinalValuesAPI.as_view(), name="api-initiative-final"),
    *[
        path(
            f"initiatives/<int:pk>/{action}/",
            api.InitiativeStateAPI.as_view(),
            {"action": action},
            name=f"api-initiative-{action}",
        )
        for action in STATE_ACTIONS
    ],
    path("priority-matrix/", api.PriorityMatrixAPI.as_view(), name="api-priority-matrix"),
    path("priority-round/", api.PriorityRoundAPI.as_view(), name="api-priority-round"),
    *[
        path(
            f"priority-round/{action}/",
            api.PriorityRoundActionAPI.as_view(),
            {"action": action},
            name=f"api-priority-round-{action}",
        )
        for action in ROUND_ACTIONS
    ],
]
