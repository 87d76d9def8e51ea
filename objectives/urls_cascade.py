"""Routes of the cascade pages (below /c/<company_slug>/)."""

from django.urls import path

from .views import cascade as views
from .views import cascade_pages as pages

urlpatterns = [
    path("cascade/", views.cascade_page, name="cascade"),
    path("cascade/sunburst/", views.cascade_sunburst, name="cascade_sunburst"),
    path("cascade/export.<str:fmt>", pages.cascade_export, name="cascade_export"),
    path("cascade/import/", pages.cascade_import, name="cascade_import"),
    path("cascade/cycles/new/", pages.cycle_create, name="cycle_create"),
    path("cascade/cycles/<int:cycle_id>/carry-over/", pages.cycle_carry_over, name="cycle_carry_over"),
    path("cascade/cycles/<int:cycle_id>/edit/", pages.cycle_update, name="cycle_update"),
    path(
        "cascade/cycles/<int:cycle_id>/<str:transition>/",
        pages.cycle_transition,
        name="cycle_transition",
    ),
    path("objectives/<int:objective_id>/", pages.objective_detail, name="objective_detail"),
    path("objectives/<int:objective_id>/alignments/", pages.objective_links, name="objective_links"),
    path("key-results/<int:key_result_id>/check-in/", pages.check_in, name="check_in"),
    path("my-key-results/", pages.my_key_results, name="my_key_results"),
]
