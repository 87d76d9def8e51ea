"""Password reset by e-mail (through a real SMTP server) and password change, in both languages."""

from __future__ import annotations

import itertools
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from objectives.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_addresses = itertools.count(1)


def _client(client):
    """Each test asks from its own address, so the per-address limit of one test never touches another."""
    client.defaults["REMOTE_ADDR"] = f"10.77.{next(_addresses) // 250}.{next(_addresses) % 250 + 1}"
    return client


def _ask(client, address: str):
    return client.post("/password/reset/", {"email": address})


def _path(url: str) -> str:
    return urlparse(url).path


def test_login_page_links_to_the_reset_form(client):
    page = client.get("/login/")
    assert 'href="/password/reset/"' in page.content.decode()
    assert "Forgot your password?" in page.content.decode()


def test_reset_mail_arrives_in_the_persons_language_and_its_link_sets_a_new_password_once(client, smtp):
    user = UserFactory(username="hanna", first_name="Hanna", last_name="Berg", email="hanna@acme.example")
    Profile.objects.update_or_create(user=user, defaults={"language": "de"})
    client = _client(client)

    response = _ask(client, "Hanna@Acme.example")
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    done = client.get(response["Location"])
    assert "Check your e-mail" in done.content.decode()

    [mail] = smtp.wait_for(1)
    assert mail["To"] == "hanna@acme.example"
    assert mail["Subject"] == "Ihr okrplan-Passwort"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Hallo Hanna Berg," in body
    assert "Ihr Benutzername: hanna" in body
    assert "läuft in 2 Stunden ab" in body
    [link] = smtp.links(mail)
    assert link.startswith("http://testserver/password/reset/")

    form = client.get(_path(link), follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "hanna", "new_password2": "hanna"})
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode() or "too similar" in weak.content.decode()
    done = client.post(set_url, {"new_password1": "Sommer-Wiese-42!", "new_password2": "Sommer-Wiese-42!"})
    assert done.status_code == 302 and done["Location"] == "/password/reset/complete/"

    user.refresh_from_db()
    assert user.check_password("Sommer-Wiese-42!") and not user.check_password("pw")
    assert client.post("/login/", {"username": "hanna", "password": "Sommer-Wiese-42!"}).status_code == 302

    client.logout()
    again = client.get(_path(link), follow=True)
    assert "This link no longer works" in again.content.decode()
    assert "has expired or has already been used" in again.content.decode()


def test_english_mail_for_a_person_who_chose_english(client, smtp):
    user = UserFactory(username="sam", first_name="Sam", last_name="Lee", email="sam@acme.example")
    Profile.objects.update_or_create(user=user, defaults={"language": "en"})
    client.cookies["django_language"] = "de"
    _ask(_client(client), "sam@acme.example")
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Your okrplan password"
    assert "Hello Sam Lee," in mail.get_body(preferencelist=("plain",)).get_content()


def test_unknown_and_inactive_addresses_look_the_same_and_get_no_mail(client, smtp):
    UserFactory(username="gone", email="gone@acme.example", is_active=False)
    client = _client(client)
    for address in ("nobody@acme.example", "gone@acme.example"):
        response = _ask(client, address)
        assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert smtp.wait_for(1, timeout=1.0) == []


def test_an_invalid_address_is_refused_with_the_field_and_reason(client, smtp):
    response = _ask(_client(client), "not-an-address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert smtp.messages == []


def test_an_expired_link_is_refused(client, settings):
    user = UserFactory(username="old", email="old@acme.example")
    generator = default_token_generator
    two_days_ago = generator._num_seconds(generator._now()) - 2 * 24 * 3600
    token = generator._make_token_with_timestamp(user, two_days_ago, generator.secret)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page = client.get(f"/password/reset/{uid}/{token}/", follow=True)
    assert "This link no longer works" in page.content.decode()


def test_requests_per_network_address_are_limited_with_a_message(client, smtp, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "3/h"
    for n in range(3):
        UserFactory(username=f"p{n}", email=f"p{n}@acme.example")
    client = _client(client)
    for n in range(3):
        assert _ask(client, f"p{n}@acme.example").status_code == 302
    refused = _ask(client, "p0@acme.example")
    assert refused.status_code == 429
    assert "Too many reset requests from your network" in refused.content.decode()
    assert len(smtp.wait_for(3)) == 3
    assert len(smtp.wait_for(4, timeout=0.5)) == 3


def test_requests_per_email_address_stop_sending_but_look_the_same(client, smtp, settings):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "2/h"
    UserFactory(username="flood", email="flood@acme.example")
    for _ in range(4):
        response = _ask(_client(client), "flood@acme.example")  # a new address each time
        assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert len(smtp.wait_for(3, timeout=1.0)) == 2


def test_password_change_keeps_the_session_and_checks_the_old_password(client):
    user = UserFactory(username="chris", email="chris@acme.example")
    client.force_login(user)
    page = client.get("/account/password/")
    assert page.status_code == 200 and "Change password" in page.content.decode()

    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": "Herbst-Laub-77!", "new_password2": "Herbst-Laub-77!"},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    user.refresh_from_db()
    assert user.check_password("pw")

    mismatch = client.post(
        "/account/password/",
        {"old_password": "pw", "new_password1": "Herbst-Laub-77!", "new_password2": "Herbst-Laub-78!"},
    )
    assert "The two password fields didn" in mismatch.content.decode()

    done = client.post(
        "/account/password/",
        {"old_password": "pw", "new_password1": "Herbst-Laub-77!", "new_password2": "Herbst-Laub-77!"},
        follow=True,
    )
    assert "Your password has been changed." in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("Herbst-Laub-77!")
    assert client.get("/account/password/").status_code == 200  # still signed in


def test_password_change_needs_a_signed_in_user(client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/account/password/")


def test_the_header_offers_password_change_to_a_signed_in_user(client):
    client.force_login(get_user_model().objects.create_user("dana", "dana@acme.example", "pw"))
    assert 'href="/account/password/"' in client.get("/").content.decode()
