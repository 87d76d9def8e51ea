"""Company pages, included under ``c/<company_slug>/``; home and switching live at the site root (okrplan/urls.py)."""

from django.urls import path

from . import views, views_members, views_sso

urlpatterns = [
    path("", views.company_home, name="company_home"),
    path("members/", views_members.members, name="members"),
    path("members/invite/", views_members.member_invite, name="member_invite"),
    path("members/sign-in/", views_members.sign_in_policy, name="sign_in_policy"),
    path("members/<int:membership_id>/", views_members.member_update, name="member_update"),
    path("members/<int:membership_id>/deactivate/", views_members.member_deactivate, name="member_deactivate"),
    path("members/teams/", views_members.team_create, name="team_create"),
    path("members/teams/<int:team_id>/", views_members.team_update, name="team_update"),
    path("members/teams/<int:team_id>/delete/", views_members.team_delete, name="team_delete"),
    path("invitations/<int:invitation_id>/resend/", views_members.invitation_resend, name="invitation_resend"),
    path("invitations/<int:invitation_id>/revoke/", views_members.invitation_revoke, name="invitation_revoke"),
]

# At the site root: the link in an invitation e-mail works before the invitee has an account.
root_urlpatterns = [
    path("invitations/<str:token>/", views_members.invitation_accept, name="invitation_accept"),
    # Single sign-on (OpenID Connect): the client is registered at the provider with {SITE_URL}/sso/callback/.
    path("sso/start/", views_sso.SingleSignOnStartView.as_view(), name="sso_start"),
    path("sso/callback/", views_sso.SingleSignOnCallbackView.as_view(), name="sso_callback"),
]
