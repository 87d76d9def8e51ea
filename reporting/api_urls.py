from django.urls import path  # noqa: F401

from .api_urls_crm import urlpatterns as crm_patterns

urlpatterns: list = [*crm_patterns]
