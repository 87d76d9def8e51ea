"""Company API, included under ``api/v1/companies/<company_slug>/``."""

from django.urls import path

from . import api

urlpatterns = [
    path("", api.CompanyDetailAPI.as_view(), name="api-company"),
    path("members/", api.MembershipListAPI.as_view(), name="api-members"),
    path("members/<int:membership_id>/", api.MembershipDetailAPI.as_view(), name="api-member"),
    path("teams/", api.TeamListAPI.as_view(), name="api-teams"),
    path("teams/<int:team_id>/", api.TeamDetailAPI.as_view(), name="api-team"),
    path("invitations/", api.InvitationListAPI.as_view(), name="api-invitations"),
    path("invitations/<int:invitation_id>/", api.InvitationDetailAPI.as_view(), name="api-invitation"),
    path("invitations/<int:invitation_id>/resend/", api.InvitationResendAPI.as_view(), name="api-invitation-resend"),
    path("sign-in-policy/", api.SignInPolicyAPI.as_view(), name="api-sign-in-policy"),
]
