"""CSRF: every form that posts carries the token, htmx sends it in a header, and requests without it are refused."""

import re
from pathlib import Path

import pytest
from django.test import Client

from companies.permissions import Role

ROOT = Path(__file__).resolve().parents[2]


def _templates():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    yield from sorted(ROOT.glob("*/templates/**/*.html"))


def test_every_post_form_in_the_templates_has_the_csrf_token():
    offenders = []
    for path in _templates():
        text = path.read_text()
        for match in re.finditer(r"<form\b[^>]*method=[\"']post[\"'][^>]*>(.*?)</form>", text, flags=re.S | re.I):
            if "{% csrf_token %}" not in match.group(1):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:80]}")
    assert offenders == []


@pytest.mark.django_db
def test_htmx_requests_carry_the_token_from_the_page(company, client_for):
    page = client_for(company).get(f"/c/{company.slug}/").content.decode()
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{32,}\"\}'", page)


@pytest.mark.django_db
def test_posts_without_the_token_are_refused(company, make_member):
    user = make_member(company, Role.FACILITATOR, username="erika")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "erika", "password": "pw"}).status_code == 403
    client.force_login(user)
    assert client.post("/logout/").status_code == 403
    assert client.post("/language/", {"language": "en"}).status_code == 403
    api = client.post(f"/api/v1/companies/{company.slug}/members/", {}, content_type="application/json")
    assert api.status_code == 403
    assert "CSRF" in api.json()["detail"]


@pytest.mark.django_db
def test_api_token_authentication_needs_no_csrf_and_a_wrong_token_is_refused(company, make_member):
    from rest_framework.authtoken.models import Token

    user = make_member(company, Role.FACILITATOR)
    token = Token.objects.create(user=user)
    client = Client(enforce_csrf_checks=True)
    response = client.get(f"/api/v1/companies/{company.slug}/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["slug"] == company.slug
    wrong = client.get(f"/api/v1/companies/{company.slug}/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    # 403, not 401: DRF takes the status from the first authentication class (session), which sends no challenge.
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "Invalid token."
