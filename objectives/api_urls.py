from .api.urls_cascade import urlpatterns as cascade_patterns

urlpatterns = [
    *cascade_patterns,
]
