"""Issue 19: whole pages answer 304 while nothing they show has changed (core.conditional.conditional_page).

The ETag covers the data versions, the viewer (user, role, language, session), the session's CSRF secret and the
clock; a waiting message means no ETag; a 304 costs session, user and membership and no more; sign-in and sign-out
clear what the browser kept. The pages' own data changes are tested per app (tests/reporting, tests/objectives,
tests/budgets: *_conditional.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from companies.models import Company, Membership
from companies.permissions import Role
from core import conditional, versions
from tests.conditional_pages import asked_again, kept
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def overview(company) -> str:
    return reverse("budgets:overview", kwargs={"company_slug": company.slug})


def test_a_page_kept_by_the_browser_is_answered_304_while_nothing_changed(company, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    assert "Cookie" in page["Vary"] and "Accept-Language" in page["Vary"]
    assert client.get(overview(company), HTTP_IF_NONE_MATCH=f"W/{page['ETag']}").status_code == 304  # gzip's form
    assert client.get(overview(company), HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_first_visit_without_a_csrf_cookie_has_no_etag(company, client_for):
    client = client_for(company, Role.CMO)
    first = client.get(overview(company))
    assert first.status_code == 200 and not first.has_header("ETag")
    assert first["Cache-Control"] == "private, no-store"
    assert "csrftoken" in first.cookies


def test_a_waiting_message_is_shown_and_the_page_is_not_kept_with_it(company, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    client.cookies["messages"] = CookieStorage(HttpRequest())._encode([Message(constants.SUCCESS, "Line approved.")])
    with_message = asked_again(client, overview(company), page)
    assert with_message.status_code == 200 and "Line approved." in with_message.content.decode()
    assert not with_message.has_header("ETag") and with_message["Cache-Control"] == "private, no-store"
    # shown once: the kept copy (without the message) is right again
    assert asked_again(client, overview(company), page).status_code == 304


def test_another_session_of_the_same_person_never_gets_the_304(company, make_member):
    user = make_member(company, Role.CMO, username="lena")
    user.set_password("correct horse battery")
    user.save()
    client = Client()
    client.post(reverse("login"), {"username": "lena", "password": "correct horse battery"})
    page = kept(client, overview(company))
    other = Client()
    other.force_login(user)
    other.get(overview(company))  # its own CSRF cookie
    assert asked_again(other, overview(company), page).status_code == 200
    # signing out and in again draws a new session and a new CSRF secret: the page kept before is not confirmed
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "lena", "password": "correct horse battery"})
    assert asked_again(client, overview(company), page).status_code == 200


def test_a_page_kept_with_another_csrf_secret_is_sent_anew(company, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    client.cookies["csrftoken"] = "x" * 32
    again = asked_again(client, overview(company), page)
    assert again.status_code == 200 and again["ETag"] != page["ETag"]


def test_another_person_with_the_same_role_never_gets_the_304(company, client_for):
    page = kept(client_for(company, Role.CMO), overview(company))
    other = client_for(company, Role.CMO)
    other.get(overview(company))
    assert asked_again(other, overview(company), page).status_code == 200


def test_the_role_the_language_and_the_name_in_the_header_move_the_etag(company, client_for):
    client = client_for(company, Role.CMO, first_name="Lena", last_name="Berger")
    page = kept(client, overview(company))
    german = asked_again(client, overview(company), page, HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 200 and 'lang="de"' in german.content.decode()

    Membership.objects.filter(user=client.user, company=company).update(role=Role.EXECUTIVE)
    role = asked_again(client, overview(company), page)
    assert role.status_code == 200 and "Executive" in role.content.decode()

    page = kept(client, overview(company))
    user = get_user_model().objects.get(pk=client.user.pk)
    user.last_name = "Berger-Wolf"
    user.save()
    renamed = asked_again(client, overview(company), page)
    assert renamed.status_code == 200 and "Lena Berger-Wolf" in renamed.content.decode()


def test_the_company_switcher_follows_memberships_and_other_companies_names(company, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    second = CompanyFactory(name="Beta Solar", slug="beta")
    MembershipFactory(user=client.user, company=second, role=Role.MEMBER)
    joined = asked_again(client, overview(company), page)
    assert joined.status_code == 200 and "Beta Solar" in joined.content.decode()

    page = kept(client, overview(company))
    renamed = Company.objects.get(pk=second.pk)
    renamed.name = "Beta Wind"
    renamed.save()
    answer = asked_again(client, overview(company), page)
    assert answer.status_code == 200 and "Beta Wind" in answer.content.decode()


def test_the_next_day_the_page_is_sent_anew(company, client_for, monkeypatch):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    tomorrow = timezone.now() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert asked_again(client, overview(company), page).status_code == 200


def test_without_the_servers_record_of_the_etag_there_is_no_304(company, client_for):
    """A 304 needs the record that this ETag was rendered (e.g. the cache was emptied: versions start anew)."""
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    versions.namespace += "-emptied"
    answer = asked_again(client, overview(company), page)
    assert answer.status_code == 200 and answer["ETag"] != page["ETag"]


def test_another_companys_page_is_still_a_404_with_a_kept_etag(company, other_company, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    assert asked_again(client, overview(other_company), page).status_code == 404


def test_a_304_costs_session_user_and_membership(company, client_for, django_assert_num_queries):
    client = client_for(company, Role.CMO)
    page = kept(client, overview(company))
    with django_assert_num_queries(3) as captured:
        assert asked_again(client, overview(company), page).status_code == 304
    tables = sorted(query["sql"].split('FROM "')[1].split('"')[0] for query in captured.captured_queries)
    assert tables == ["auth_user", "companies_membership", "django_session"]


def test_signing_in_and_out_clears_what_the_browser_kept(company, make_member):
    user = make_member(company, Role.CMO, username="lena")
    user.set_password("correct horse battery")
    user.save()
    client = Client()
    signed_in = client.post(reverse("login"), {"username": "lena", "password": "correct horse battery"})
    assert signed_in.status_code == 302 and signed_in["Clear-Site-Data"] == '"cache"'
    assert not client.get(overview(company)).has_header("Clear-Site-Data")
    signed_out = client.post(reverse("logout"))
    assert signed_out["Clear-Site-Data"] == '"cache"'


def test_an_age_tells_the_page_until_when_it_reads_the_same():
    when = dt.datetime(2026, 12, 6, 12, 0, 0, tzinfo=dt.UTC)
    second = dt.timedelta(seconds=1)
    assert conditional.age_changes_at(when, when + 10 * second) == when + 11 * second
    assert conditional.age_changes_at(when, when + 150 * second) == when + 180 * second
    assert conditional.age_changes_at(when, when + dt.timedelta(hours=5, minutes=3)) == when + dt.timedelta(hours=6)
    assert conditional.age_changes_at(when, when + dt.timedelta(days=9, hours=3)) == when + dt.timedelta(days=10)
    assert conditional.age_changes_at(when, when - second) is None


def test_unknown_scopes_are_refused_when_the_view_is_decorated():
    with pytest.raises(ValueError, match="unknown version scope"):
        conditional.conditional_page("cascade")
