from django.urls import include, path

urlpatterns: list = [
    path("", include("reporting.api_urls_kpi")),
]
