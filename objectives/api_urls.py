from django.urls import path

from .api import companies
from .api.urls_cascade import urlpatterns as cascade_patterns
from .api.urls_priorities import urlpatterns as priorities_patterns

urlpatterns = [
    path("members/", companies.MembershipListAPI.as_view(), name="api-members"),
    *cascade_patterns,
    *priorities_patterns,
]
