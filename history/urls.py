"""The history page, included under ``c/<company_slug>/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("history/", views.history_page, name="history"),
]
