"""The history API, included under ``api/v1/companies/<company_slug>/``."""

from django.urls import path

from . import api

urlpatterns = [
    path("history/", api.HistoryListAPI.as_view(), name="api-history"),
]
