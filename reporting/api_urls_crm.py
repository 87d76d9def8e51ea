"""API routes of the CRM funnel data (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from . import api_crm

urlpatterns = [
    path("crm/leads/", api_crm.CrmLeadsAPI.as_view(), name="api-crm-leads"),
    path("crm/opportunities/", api_crm.CrmOpportunitiesAPI.as_view(), name="api-crm-opportunities"),
    path("crm/touchpoints/", api_crm.CrmTouchpointsAPI.as_view(), name="api-crm-touchpoints"),
]
