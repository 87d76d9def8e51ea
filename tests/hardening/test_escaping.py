"""HTML typed into any free-text field is shown as text, never executed."""

import re
from pathlib import Path

import pytest
from django.db import DatabaseError, models, transaction
from django.test import Client

from companies.permissions import Role
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.test_security_urls import (
    COMPANY_ROUTES,
    COMPANY_SLUG,
    _factories,
    _has_company,
    _samples,
    make_object,
    object_values,
)

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW = ("<script>alert(", "<img src=x onerror")
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"

# Templates that may use |safe or autoescape off, with the reason (none yet: use json_script for data blocks).
SAFE_FILTER_ALLOWED: dict[str, str] = {}


@pytest.mark.django_db
def test_company_name_member_name_and_team_render_as_text_on_the_overview():
    company = CompanyFactory(name=f"Acme {PAYLOAD}", slug="acme")
    user = UserFactory(first_name=PAYLOAD, last_name="Muster")
    MembershipFactory(user=user, company=company, role=Role.FACILITATOR, team=PAYLOAD[:60])
    client = Client()
    client.force_login(user)
    page = client.get(f"/c/{company.slug}/").content.decode()
    for raw in RAW:
        assert raw not in page
    assert f"<h1>Acme {ESCAPED}" in page
    assert f"<title>Acme {ESCAPED}" in page
    assert "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert f"{ESCAPED}&lt;img src=x onerror=alert(1)&gt; Muster" in page, "member name in the table and top bar"


def _text_fields(model):
    for f in model._meta.get_fields():
        if (
            isinstance(f, models.CharField | models.TextField)
            and not isinstance(f, models.SlugField | models.EmailField | models.URLField)
            and not f.choices
            and not f.unique
            and (f.max_length or 1000) >= 20
        ):
            yield f


def _fill_with_payload(obj) -> bool:
    changed = [f.name for f in _text_fields(type(obj))]
    for name in changed:
        max_length = type(obj)._meta.get_field(name).max_length or 1000
        # A per-object suffix keeps names unique where a constraint asks for it (e.g. cycle names per company).
        setattr(obj, name, f"{PAYLOAD} #{obj.pk}"[:max_length])
    if changed:
        try:
            with transaction.atomic():
                obj.save(update_fields=changed)
        except (ValueError, DatabaseError):
            # Append-only rows (check-ins, audit entries) refuse updates: add a new row that carries the payload.
            obj.pk = obj.id = None
            obj.save(force_insert=True)
    return bool(changed)


@pytest.mark.django_db
@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.label)
def test_no_page_renders_free_text_as_html(route):
    """Every company page, with every factory-made object's free text set to HTML, shows that HTML as text."""
    company = CompanyFactory(name=f"Acme {PAYLOAD}", slug="acme")
    for model in _factories():
        if _has_company(model) and model._meta.app_label in {"objectives", "initiatives", "budgets", "reporting"}:
            obj = make_object(model, company)
            if obj is not None:
                _fill_with_payload(obj)
    user = UserFactory(first_name=PAYLOAD)
    MembershipFactory(user=user, company=company, role=Role.FACILITATOR, team=PAYLOAD[:60])
    values, objects = object_values(route, company)
    for obj in objects:
        _fill_with_payload(obj)
    client = Client()
    client.force_login(user)
    response = client.get(route.path({**_samples(route), **values, COMPANY_SLUG: company.slug}))
    if "html" in response.get("Content-Type", ""):
        body = response.content.decode()
        for raw in RAW:
            assert raw not in body, route.label


def test_no_template_marks_text_safe_or_turns_autoescape_off():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        relative = str(path.relative_to(ROOT))
        if relative in SAFE_FILTER_ALLOWED:
            continue
        if re.search(r"\|\s*safe\b", text) or re.search(r"{%\s*autoescape\s+off\s*%}", text):
            offenders.append(relative)
    assert offenders == [], "render data with json_script, or add the template with its reason to the allow-list"


def test_no_inline_scripts_or_event_handlers_in_templates():
    """The CSP forbids them; JSON data blocks (json_script, type="application/json") are allowed."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        text = path.read_text()
        for attrs in re.findall(r"<script\b([^>]*)>", text, flags=re.I):
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: <script{attrs}>")
        for handler in re.findall(r"\s(on[a-z]+)\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(ROOT)}: {handler}=")
        if "javascript:" in text:
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert offenders == []
