"""Pages of the planning domain; each area keeps its routes in its own module."""

from .urls_cascade import urlpatterns as cascade_patterns

app_name = "objectives"

urlpatterns = [*cascade_patterns]
