"""Routes of the priorities pages (below /c/<company_slug>/)."""

from django.urls import path

from .views import priorities as views

app_name = "initiatives"

urlpatterns = [
    path("priorities/", views.priority_matrix, name="priorities"),
    path("priorities/live/", views.priority_matrix_live, name="priorities-live"),
    path("priorities/rate/", views.rate, name="priorities-rate"),
    path("priorities/round/", views.rating_round, name="priorities-round"),
    path("priorities/settings/", views.priority_settings, name="priorities-settings"),
    path("priorities/new/", views.initiative_create, name="priorities-new"),
    path("priorities/<int:pk>/", views.initiative_detail, name="priorities-initiative"),
    path("priorities/<int:pk>/edit/", views.initiative_edit, name="priorities-edit"),
    path("priorities/<int:pk>/state/", views.initiative_state, name="priorities-state"),
]
