"""Sign-in rate limit: 5 failed attempts per username and IP address in 15 minutes, then refused until the window
ends; a successful sign-in forgets the failures; other users and other addresses are unaffected."""

import time
import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BLOCKED = "Too many failed sign-in attempts. Try again in"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    settings.LOGIN_RATE_LIMIT = 5
    settings.LOGIN_RATE_LIMIT_WINDOW = 15 * 60
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = 20
    settings.LOGIN_RATE_LIMIT_KEY_PREFIX = f"test-login-failures-{uuid.uuid4().hex}"


@pytest.fixture
def erika(company, make_member):
    return make_member(company, username="erika")


def _sign_in(client, username, password, ip="203.0.113.5"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sixth_attempt_is_refused_even_with_the_right_password(erika):
    client = Client()
    for _ in range(5):
        response = _sign_in(client, "erika", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = _sign_in(client, "erika", "pw")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in page
    assert 'role="alert"' in page
    assert not _signed_in(client)


def test_username_case_does_not_get_around_the_limit(erika):
    client = Client()
    for name in ["erika", "Erika", "ERIKA", "erika ", "eRiKa"]:
        _sign_in(client, name, "wrong")
    assert _sign_in(client, "erika", "pw").status_code == 429


def test_a_successful_sign_in_forgets_earlier_failures(erika):
    client = Client()
    for _ in range(4):
        _sign_in(client, "erika", "wrong")
    assert _sign_in(client, "erika", "pw").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert _sign_in(client, "erika", "wrong").status_code == 200
    assert _sign_in(client, "erika", "pw").status_code == 302, "4 new failures are still below the limit"


def test_other_users_and_other_addresses_are_unaffected(company, erika, make_member):
    make_member(company, username="jonas")
    for _ in range(6):
        _sign_in(Client(), "erika", "wrong")
    assert _sign_in(Client(), "erika", "pw").status_code == 429
    assert _sign_in(Client(), "jonas", "pw").status_code == 302, "another user from the same address"
    assert _sign_in(Client(), "erika", "pw", ip="198.51.100.9").status_code == 302, "the user from elsewhere"


def test_the_block_ends_with_the_window_and_says_how_long_is_left(erika, monkeypatch):
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start)
    for _ in range(5):
        _sign_in(Client(), "erika", "wrong")
    monkeypatch.setattr(time, "time", lambda: start + 10 * 60 + 5)
    response = _sign_in(Client(), "erika", "pw")
    assert response.status_code == 429
    assert "Try again in 5 minutes." in response.content.decode()
    monkeypatch.setattr(time, "time", lambda: start + 14 * 60 + 30)
    assert "Try again in 1 minute." in _sign_in(Client(), "erika", "pw").content.decode()
    monkeypatch.setattr(time, "time", lambda: start + 15 * 60 + 1)
    assert _sign_in(Client(), "erika", "pw").status_code == 302


def test_german_message(erika):
    client = Client()
    for _ in range(5):
        _sign_in(client, "erika", "wrong")
    response = client.post(
        "/login/", {"username": "erika", "password": "pw"}, REMOTE_ADDR="203.0.113.5", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in 15 Minuten erneut." in (
        response.content.decode()
    )


def test_behind_a_proxy_the_forwarded_address_counts(erika, settings):
    settings.NUM_PROXIES = 1
    for i in range(5):
        # The client prepends a forged address each time; only the one the proxy appended counts.
        Client().post(
            "/login/",
            {"username": "erika", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.5",
        )
    blocked = Client().post(
        "/login/", {"username": "erika", "password": "pw"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert blocked.status_code == 429
    other = Client().post(
        "/login/", {"username": "erika", "password": "pw"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert other.status_code == 302


def test_the_admin_sign_in_is_limited_too(company, make_member):
    make_member(company, username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="203.0.113.5")
    response = client.post("/admin/login/", {"username": "root", "password": "pw"}, REMOTE_ADDR="203.0.113.5")
    assert BLOCKED in response.content.decode()
    assert not _signed_in(client)


def test_with_redis_down_signing_in_still_works(erika, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    client = Client()
    assert _sign_in(client, "erika", "wrong").status_code == 200
    assert _sign_in(client, "erika", "pw").status_code == 302


# ------------------------------------------------------------------ password spraying (issue 12, finding 11)


def test_password_spraying_from_one_address_is_slowed_after_the_address_limit(company, erika, make_member):
    """30 usernames × 1 try from one address: the first 20 are checked, the rest refused until the window ends."""
    spray = "198.51.100.66"
    statuses = [_sign_in(Client(), f"victim{i}", "Sommer2026!", ip=spray).status_code for i in range(30)]
    assert statuses == [200] * 20 + [429] * 10
    refused = _sign_in(Client(), "victim99", "Sommer2026!", ip=spray)
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in refused.content.decode()
    # The address waits, even with a right password; the same user elsewhere, and other addresses, do not.
    assert _sign_in(Client(), "erika", "pw", ip=spray).status_code == 429
    assert _sign_in(Client(), "erika", "pw", ip="203.0.113.77").status_code == 302
    assert _sign_in(Client(), "victim1", "wrong", ip="203.0.113.78").status_code == 200
    make_member(company, username="root", is_staff=True, is_superuser=True)
    admin = Client().post("/admin/login/", {"username": "root", "password": "pw"}, REMOTE_ADDR=spray)
    assert BLOCKED in admin.content.decode()
    german = Client().post("/login/", {"username": "erika", "password": "pw"}, REMOTE_ADDR=spray,
                           HTTP_ACCEPT_LANGUAGE="de")  # fmt: skip
    assert "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in 15 Minuten erneut." in (
        german.content.decode()
    )


def test_a_successful_sign_in_does_not_reset_the_address_counter(erika, settings):
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = 3
    for i in range(2):
        _sign_in(Client(), f"victim{i}", "wrong")
    assert _sign_in(Client(), "erika", "pw").status_code == 302  # the sprayer knows one password
    assert _sign_in(Client(), "victim2", "wrong").status_code == 200
    assert _sign_in(Client(), "victim3", "wrong").status_code == 429


def test_the_address_block_ends_with_its_window(erika, settings, monkeypatch):
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = 3
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start)
    for i in range(3):
        _sign_in(Client(), f"victim{i}", "wrong")
    assert _sign_in(Client(), "erika", "pw").status_code == 429
    monkeypatch.setattr(time, "time", lambda: start + 15 * 60 + 1)
    assert _sign_in(Client(), "erika", "pw").status_code == 302
