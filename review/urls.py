"""Routes of the weekly execution review (below /c/<company_slug>/, namespace "review")."""

from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("review/", views.review_week, name="week"),
    path("review/print/", views.review_print, name="print"),
    path("review/actions/", views.action_create, name="action_create"),
    path("review/actions/<int:review_action_id>/", views.action_edit, name="action_edit"),
    path("review/actions/<int:review_action_id>/done/", views.action_done, name="action_done"),
]
