"""Members and invitations: the page, the API, the e-mail (through a real SMTP server) and the rules behind them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from companies.models import Invitation, Membership
from companies.permissions import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory

# Committed for real: the invitation e-mail goes out once the invitation is committed.
pytestmark = pytest.mark.django_db(transaction=True)


def _link(mail) -> str:
    body = mail.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", body)
    return link.replace("http://testserver", "")


def _invite(client, company, email, role=Role.MEMBER, team="", language="de"):
    return client.post(
        f"/c/{company.slug}/members/invite/", {"email": email, "role": role, "team": team, "language": language}
    )


def test_everyone_sees_who_is_who_but_only_managers_see_invitations(company, client_for, make_member):
    make_member(company, Role.CMO, first_name="Markus", last_name="Hoffmann")
    member = client_for(company, Role.MEMBER)
    page = member.get(f"/c/{company.slug}/members/").content.decode()
    assert "Markus Hoffmann" in page and "CMO" in page
    assert "Invite someone" not in page and "Open invitations" not in page and "Deactivate" not in page

    facilitator = client_for(company, Role.FACILITATOR)
    page = facilitator.get(f"/c/{company.slug}/members/").content.decode()
    assert "Invite someone" in page and "No open invitations." in page


def test_a_member_cannot_invite_or_change_anyone(company, client_for, make_member):
    member = client_for(company, Role.MEMBER)
    assert _invite(member, company, "x@acme.example").status_code == 403
    other = Membership.objects.get(user=make_member(company, Role.MEMBER))
    assert member.post(f"/c/{company.slug}/members/{other.pk}/", {f"m{other.pk}-role": "cmo"}).status_code == 403
    assert member.post(f"/c/{company.slug}/members/{other.pk}/deactivate/").status_code == 403
    assert Invitation.objects.count() == 0


def test_invitation_email_in_the_invitees_language_and_a_new_person_joins(company, client_for, smtp):
    cmo = client_for(company, Role.CMO, first_name="Markus", last_name="Hoffmann")
    marketing = TeamFactory(company=company, name="Marketing", kind="marketing")
    response = _invite(cmo, company, "Nina.Neu@Acme.example", Role.MEMBER, team=marketing.pk, language="de")
    assert response.status_code == 302
    page = cmo.get(f"/c/{company.slug}/members/").content.decode()
    assert "Invitation sent to Nina.Neu@Acme.example." in page
    assert 'data-invitation="Nina.Neu@Acme.example"' in page

    [mail] = smtp.wait_for(1)
    assert mail["To"] == "Nina.Neu@Acme.example"
    assert mail["Subject"] == "Einladung zu Acme Energie in okrplan"
    assert "Markus Hoffmann lädt Sie ein" in mail.get_body(preferencelist=("plain",)).get_content()
    link = _link(mail)

    newcomer = Client()
    form = newcomer.get(link)
    assert form.status_code == 200 and "Create your okrplan account for Nina.Neu@Acme.example" in form.content.decode()
    mismatch = newcomer.post(
        link, {"username": "nina", "password1": "Sommer-Wiese-42!", "password2": "Sommer-Wiese-41!"}
    )
    assert mismatch.status_code == 400 and "The two passwords differ." in mismatch.content.decode()
    joined = newcomer.post(
        link,
        {"username": "nina", "first_name": "Nina", "last_name": "Neu", "password1": "Sommer-Wiese-42!",
         "password2": "Sommer-Wiese-42!"},
    )  # fmt: skip
    assert joined.status_code == 302 and joined["Location"] == f"/c/{company.slug}/"
    nina = get_user_model().objects.get(username="nina")
    membership = Membership.objects.get(user=nina, company=company)
    assert (membership.role, membership.team, nina.email) == (Role.MEMBER, marketing, "Nina.Neu@acme.example")
    assert nina.profile.language == "de"
    assert newcomer.get(f"/c/{company.slug}/").status_code == 200  # signed in

    again = Client().get(link)
    assert again.status_code == 410 and "It has already been accepted." in again.content.decode()


def test_an_existing_account_signs_in_and_joins(company, other_company, client_for, smtp):
    existing = UserFactory(username="eva", email="eva@acme.example")
    MembershipFactory(user=existing, company=other_company, role=Role.MEMBER)
    facilitator = client_for(company, Role.FACILITATOR)
    _invite(facilitator, company, "eva@acme.example", Role.FACILITATOR, language="en")
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Invitation to Acme Energie on okrplan"
    link = _link(mail)

    anonymous = Client().get(link).content.decode()
    assert "already has an okrplan account: sign in with it to join" in anonymous

    someone_else = Client()
    someone_else.force_login(UserFactory(username="mallory", email="mallory@evil.example"))
    assert "This invitation is for eva@acme.example" in someone_else.get(link).content.decode()
    assert someone_else.post(link).status_code == 403
    assert not Membership.objects.filter(company=company, user__username="mallory").exists()

    eva = Client()
    eva.force_login(existing)
    assert "Join Acme Energie" in eva.get(link).content.decode()
    assert eva.post(link).status_code == 302
    assert Membership.objects.get(user=existing, company=company).role == Role.FACILITATOR


def test_resend_replaces_the_link_and_revoke_ends_it(company, client_for, smtp):
    facilitator = client_for(company, Role.FACILITATOR)
    _invite(facilitator, company, "tom@acme.example")
    invitation = Invitation.objects.get()
    first = _link(smtp.wait_for(1)[0])
    assert facilitator.post(f"/c/{company.slug}/invitations/{invitation.pk}/resend/").status_code == 302
    second = _link(smtp.wait_for(2)[1])
    assert first != second
    assert Client().get(first).status_code == 404  # superseded
    assert Client().get(second).status_code == 200
    assert facilitator.post(f"/c/{company.slug}/invitations/{invitation.pk}/revoke/").status_code == 302
    closed = Client().get(second)
    assert closed.status_code == 410 and "It has been revoked." in closed.content.decode()


def test_an_expired_invitation_is_refused(company, client_for, smtp):
    facilitator = client_for(company, Role.FACILITATOR)
    _invite(facilitator, company, "late@acme.example")
    link = _link(smtp.wait_for(1)[0])
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = Client().get(link)
    assert page.status_code == 410 and "It has expired." in page.content.decode()
    assert Client().post(link, {"username": "late", "password1": "x", "password2": "x"}).status_code == 410
    assert not get_user_model().objects.filter(username="late").exists()


def test_invite_errors_name_the_field(company, client_for, make_member, smtp):
    facilitator = client_for(company, Role.FACILITATOR)
    make_member(company, Role.MEMBER, email="in@acme.example")
    bad = _invite(facilitator, company, "not-an-address")
    assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()
    already = _invite(facilitator, company, "IN@acme.example")
    assert already.status_code == 400
    assert "IN@acme.example is already a member of this company." in already.content.decode()
    _invite(facilitator, company, "twice@acme.example")
    twice = _invite(facilitator, company, "Twice@acme.example")
    assert "is already invited: resend that invitation instead." in twice.content.decode()
    money = _invite(facilitator, company, "boss@acme.example", Role.EXECUTIVE)
    assert money.status_code == 403  # a facilitator may not hand out the executive role
    assert Invitation.objects.count() == 1


def test_roles_change_only_as_the_actor_may_grant_and_never_their_own(company, client_for, make_member):
    facilitator = client_for(company, Role.FACILITATOR)
    executive = client_for(company, Role.EXECUTIVE)
    member = Membership.objects.get(user=make_member(company, Role.MEMBER, first_name="Jonas", last_name="Weber"))
    url = f"/c/{company.slug}/members/{member.pk}/"
    sales = TeamFactory(company=company, name="Vertrieb", kind="sales")
    assert facilitator.post(url, {f"m{member.pk}-role": Role.CMO, f"m{member.pk}-team": ""}).status_code == 403
    assert executive.post(url, {f"m{member.pk}-role": Role.CMO, f"m{member.pk}-team": sales.pk}).status_code == 302
    member.refresh_from_db()
    assert (member.role, member.team) == (Role.CMO, sales)
    own = Membership.objects.get(user=executive.user)
    assert executive.post(f"/c/{company.slug}/members/{own.pk}/", {f"m{own.pk}-role": Role.MEMBER}).status_code == 403
    from history.models import ChangeRecord as Record

    change = Record.objects.filter(company=company, content_type__model="membership", action="updated").get()
    assert change.actor_id == executive.user.pk
    assert change.changes["role"] == ["member", "cmo"] or change.changes["role"]["before"] == "member"


def test_the_last_facilitator_and_executive_stay(company, client_for, make_member):
    executive = client_for(company, Role.EXECUTIVE)
    lone = Membership.objects.get(user=make_member(company, Role.FACILITATOR, first_name="Lena", last_name="Berger"))
    response = executive.post(f"/c/{company.slug}/members/{lone.pk}/", {f"m{lone.pk}-role": Role.MEMBER}, follow=True)
    assert "Lena Berger is the last Facilitator of the company: give someone else the role first." in (
        response.content.decode()
    )
    response = executive.post(f"/c/{company.slug}/members/{lone.pk}/deactivate/", follow=True)
    assert "is the last Facilitator" in response.content.decode()
    lone.refresh_from_db()
    assert lone.role == Role.FACILITATOR


def test_deactivation_asks_first_then_ends_access_at_once_and_keeps_the_name(company, client_for, make_member):
    from objectives.models import Objective
    from tests.factories_cascade import ObjectiveFactory

    facilitator = client_for(company, Role.FACILITATOR)
    leaver = make_member(company, Role.MEMBER, first_name="Paul", last_name="Weg")
    objective = ObjectiveFactory(company=company, owner=leaver, title="Leads verdoppeln")
    token = Token.objects.create(user=leaver)
    browser = Client()
    browser.force_login(leaver)
    assert browser.get(f"/c/{company.slug}/").status_code == 200
    membership = Membership.objects.get(user=leaver)

    ask = facilitator.get(f"/c/{company.slug}/members/{membership.pk}/deactivate/")
    assert ask.status_code == 200 and "Deactivate Paul Weg?" in ask.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()  # asking changes nothing
    done = facilitator.post(f"/c/{company.slug}/members/{membership.pk}/deactivate/", follow=True)
    assert "Paul Weg was deactivated" in done.content.decode()

    assert browser.get(f"/c/{company.slug}/").status_code == 302  # the open session no longer counts
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    refused = api.get(f"/api/v1/companies/{company.slug}/")
    assert refused.status_code == 403 and refused.json()["detail"] == "Invalid token."
    assert not Token.objects.filter(user=leaver).exists()
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert Objective.objects.get(pk=objective.pk).owner_id == leaver.pk


def test_deactivating_someone_with_another_company_only_ends_this_company(company, other_company, client_for):
    facilitator = client_for(company, Role.FACILITATOR)
    both = UserFactory(username="both")
    MembershipFactory(user=both, company=company, role=Role.MEMBER)
    MembershipFactory(user=both, company=other_company, role=Role.MEMBER)
    browser = Client()
    browser.force_login(both)
    membership = Membership.objects.get(user=both, company=company)
    facilitator.post(f"/c/{company.slug}/members/{membership.pk}/deactivate/")
    assert browser.get(f"/c/{company.slug}/").status_code == 404
    assert browser.get(f"/c/{other_company.slug}/").status_code == 200


def test_another_companys_member_is_a_404(company, other_company, client_for):
    stranger = Membership.objects.create(user=UserFactory(), company=other_company, role=Role.MEMBER)
    facilitator = client_for(company, Role.FACILITATOR)
    assert facilitator.post(f"/c/{company.slug}/members/{stranger.pk}/deactivate/").status_code == 404
    assert facilitator.post(f"/c/{company.slug}/members/{stranger.pk}/", {}).status_code == 404


def test_members_api(company, api_client_for, make_member, smtp):
    api = api_client_for(company, Role.EXECUTIVE)
    base = f"/api/v1/companies/{company.slug}"
    created = api.post(f"{base}/invitations/", {"email": "api@acme.example", "role": "cmo"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "open"
    assert len(smtp.wait_for(1)) == 1
    bad = api.post(f"{base}/invitations/", {"email": "nope", "role": "cmo"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()
    listed = api.get(f"{base}/invitations/").json()
    assert [i["email"] for i in listed] == ["api@acme.example"]
    pk = created.json()["id"]
    assert api.post(f"{base}/invitations/{pk}/resend/").status_code == 200
    assert api.delete(f"{base}/invitations/{pk}/").status_code == 204
    assert api.delete(f"{base}/invitations/{pk}/").status_code == 409

    member = Membership.objects.get(user=make_member(company, Role.MEMBER, first_name="Jo", last_name="Ro"))
    marketing = TeamFactory(company=company, name="Marketing", kind="marketing")
    changed = api.patch(f"{base}/members/{member.pk}/", {"role": "facilitator", "team": marketing.pk}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Jo Ro"
    assert changed.json()["team"] == {"id": marketing.pk, "name": "Marketing", "kind": "marketing"}
    assert changed.json()["role"] == "facilitator"
    unknown = api.patch(f"{base}/members/{member.pk}/", {"role": "king"}, format="json")
    assert unknown.status_code == 400
    last = api.delete(f"{base}/members/{member.pk}/")
    assert last.status_code == 400 and "Jo Ro is the last Facilitator" in str(last.json())
    make_member(company, Role.FACILITATOR)
    assert api.delete(f"{base}/members/{member.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=member.pk).exists()

    plain = api_client_for(company, Role.MEMBER)
    assert plain.get(f"{base}/members/").status_code == 200
    assert plain.post(f"{base}/invitations/", {"email": "x@acme.example"}, format="json").status_code == 403
