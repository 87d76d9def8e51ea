from django.urls import include, path

from .api_urls_crm import urlpatterns as crm_patterns

urlpatterns: list = [
    *crm_patterns,
    path("", include("reporting.api_urls_kpi")),
]
