"""Finding 12 of issue 12 (info): answers to a signed-in user are never cached (``Cache-Control: private,
no-store``; static files keep theirs), and the language cookie is Secure in production like the session cookie.

Issue 19 made one exception: a whole page with a data version (board, cascade, priority matrix, budgets overview)
carries an ETag and ``private, no-cache`` — the browser may keep it only to ask again on every visit (a 304 when
nothing changed); sign-in and sign-out clear the browser's cache (tests/core/test_conditional_pages.py)."""

from __future__ import annotations

import secrets

import pytest
from django.test import Client

from companies.permissions import Role
from tests.factories import CycleFactory

NO_STORE = "private, no-store"
REVALIDATE = "private, no-cache"


@pytest.mark.django_db
def test_signed_in_pages_partials_api_and_downloads_are_not_cached(company, client_for, api_client_for):
    CycleFactory(company=company)
    client = client_for(company, Role.CMO)
    for url in ("/c/acme/", "/c/acme/budgets/", "/c/acme/budgets/export/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == NO_STORE, url
        assert not response.has_header("ETag"), url
    for url in ("/c/acme/board/", "/c/acme/cascade/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == REVALIDATE and response.has_header("ETag"), url
    partial = client.get("/c/acme/budgets/key-results/?q=a", HTTP_HX_REQUEST="true")
    assert partial["Cache-Control"] == NO_STORE
    api = api_client_for(company, Role.CMO)
    assert api.get("/api/v1/companies/acme/budget-lines/")["Cache-Control"] == NO_STORE
    token_client = Client()
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=api.user)
    response = token_client.get("/api/v1/companies/acme/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response["Cache-Control"] == NO_STORE


@pytest.mark.django_db
def test_static_files_and_anonymous_answers_keep_their_own_caching(company, client_for):
    client = client_for(company, Role.CMO)
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert static.get("Cache-Control", "") != NO_STORE
    assert Client().get("/healthz").get("Cache-Control", "") != NO_STORE


@pytest.mark.django_db
def test_the_language_cookie_is_secure_when_configured(company, make_member, settings):
    settings.LANGUAGE_COOKIE_SECURE = True
    response = Client().post("/language/", {"language": "en", "next": "/"})
    assert response.cookies["django_language"]["secure"] is True
    assert response.cookies["django_language"]["samesite"] == "Lax"
    from companies.models import Profile

    Profile.objects.update_or_create(user=make_member(company, username="erika"), defaults={"language": "de"})
    signed_in = Client().post("/login/", {"username": "erika", "password": "pw"})
    assert signed_in.status_code == 302
    assert signed_in.cookies["django_language"]["secure"] is True


def test_production_makes_the_language_cookie_secure():
    from tests.test_settings import _settings_in_subprocess

    result = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "okr.example.com"},
        "settings.LANGUAGE_COOKIE_SECURE, settings.SESSION_COOKIE_SECURE",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    development = _settings_in_subprocess({"DEBUG": "true"}, "settings.LANGUAGE_COOKIE_SECURE")
    assert development.stdout.split() == ["False"]
