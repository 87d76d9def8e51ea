"""Pages of the planning domain; each area keeps its routes in its own module."""

from .urls_cascade import urlpatterns as cascade_patterns
from .urls_priorities import urlpatterns as priorities_patterns

app_name = "objectives"

urlpatterns = [*cascade_patterns, *priorities_patterns]
