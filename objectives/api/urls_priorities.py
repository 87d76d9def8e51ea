"""API routes of the priorities area (below /api/v1/companies/<company_slug>/)."""

from django.urls import path, re_path

from . import initiatives as api

urlpatterns = [
    path("initiatives/", api.InitiativeListAPI.as_view(), name="api-initiatives"),
    path("initiatives/<int:pk>/", api.InitiativeDetailAPI.as_view(), name="api-initiative"),
    path("initiatives/<int:pk>/ratings/", api.InitiativeRatingsAPI.as_view(), name="api-initiative-ratings"),
    path("initiatives/<int:pk>/final/", api.InitiativeFinalValuesAPI.as_view(), name="api-initiative-final"),
    re_path(
        r"^initiatives/(?P<pk>[0-9]+)/(?P<action>activate|pause|done|drop)/$",
        api.InitiativeStateAPI.as_view(),
        name="api-initiative-state",
    ),
    path("priority-matrix/", api.PriorityMatrixAPI.as_view(), name="api-priority-matrix"),
    path("priority-rounds/<int:cycle_id>/", api.PriorityRoundAPI.as_view(), name="api-priority-round"),
    re_path(
        r"^priority-rounds/(?P<cycle_id>[0-9]+)/(?P<action>open|close|reveal|conceal)/$",
        api.PriorityRoundActionAPI.as_view(),
        name="api-priority-round-action",
    ),
]
