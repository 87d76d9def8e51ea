"""API routes of the CRM data (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from .api import records

urlpatterns = [
    path("crm/leads/", records.CrmLeadsAPI.as_view(), name="api-crm-leads"),
    path("crm/opportunities/", records.CrmOpportunitiesAPI.as_view(), name="api-crm-opportunities"),
    path("crm/touchpoints/", records.CrmTouchpointsAPI.as_view(), name="api-crm-touchpoints"),
]
