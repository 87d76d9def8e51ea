"""Routes of the handover SLA pages (below /c/<company_slug>/, namespace "sla")."""

from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("sla/", views.overview, name="overview"),
    path("sla/breaches/", views.breaches, name="breaches"),
    path("sla/feedback/", views.feedback, name="feedback"),
    path("sla/rules/", views.rules, name="rules"),
]
