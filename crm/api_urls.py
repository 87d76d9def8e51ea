"""API routes of the CRM data (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from .api import connections, records

urlpatterns = [
    path("crm/connections/", connections.CrmConnectionsAPI.as_view(), name="api-crm-connections"),
    path("crm/connections/<str:kind>/", connections.CrmConnectionAPI.as_view(), name="api-crm-connection"),
    path(
        "crm/connections/<str:kind>/sync/", connections.CrmConnectionSyncAPI.as_view(), name="api-crm-connection-sync"
    ),
    path("crm/leads/", records.CrmLeadsAPI.as_view(), name="api-crm-leads"),
    path("crm/opportunities/", records.CrmOpportunitiesAPI.as_view(), name="api-crm-opportunities"),
    path("crm/touchpoints/", records.CrmTouchpointsAPI.as_view(), name="api-crm-touchpoints"),
]
