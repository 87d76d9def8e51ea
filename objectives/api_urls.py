from .api.urls_cascade import urlpatterns as cascade_patterns
from .api.urls_priorities import urlpatterns as priorities_patterns

urlpatterns = [
    *cascade_patterns,
    *priorities_patterns,
]
