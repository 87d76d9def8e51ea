"""Company API, included under ``api/v1/companies/<company_slug>/``."""

from django.urls import path

from . import api

urlpatterns = [
    path("", api.CompanyDetailAPI.as_view(), name="api-company"),
    path("members/", api.MembershipListAPI.as_view(), name="api-members"),
]
