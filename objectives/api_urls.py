from django.urls import path

from . import api

urlpatterns = [
    path("members/", api.MembershipListAPI.as_view(), name="api-members"),
]
