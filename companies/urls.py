"""Company pages, included under ``c/<company_slug>/``; home and switching live at the site root (okrplan/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.company_home, name="company_home"),
]
