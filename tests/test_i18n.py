"""German and English from the first screen; the German catalogue is complete."""

import pytest

from companies.models import Profile
from okrplan import i18n


def test_german_catalogue_has_no_missing_or_fuzzy_translation():
    problems = i18n.problems()
    assert problems == [], "\n".join(problems[:50])


def test_the_extractor_sees_python_and_template_strings():
    keys = {m.key[1] for m in i18n.extract_messages()}
    assert "Sign in to okrplan" in keys  # template
    assert "Your role does not allow this." in keys  # python (gettext_lazy)
    assert "You are signed in as %(role)s." in keys  # blocktranslate


def test_a_missing_translation_is_reported(tmp_path, settings, monkeypatch):
    source = tmp_path / "templates"
    source.mkdir()
    (source / "page.html").write_text('{% load i18n %}{% translate "A string nobody translated" %}')
    monkeypatch.setattr(i18n, "SOURCE_DIRS", [str(source)])
    monkeypatch.setattr(i18n, "locale_root", lambda: settings.BASE_DIR / "locale")
    settings.BASE_DIR = tmp_path
    assert any("A string nobody translated" in p for p in i18n.problems())


@pytest.mark.django_db
def test_login_page_speaks_german_by_default(client, settings):
    settings.LANGUAGE_CODE = "de"
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Bei okrplan anmelden" in page
    assert '<html lang="de"' in page


@pytest.mark.django_db
def test_login_page_speaks_english_when_asked(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in to okrplan" in page


@pytest.mark.django_db
def test_language_switch_sets_cookie_and_remembers_the_choice(company, client_for, settings):
    client = client_for(company)
    response = client.post("/language/", {"language": "de", "next": f"/c/{company.slug}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/c/{company.slug}/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert Profile.objects.get(user=client.user).language == "de"
    page = client.get(f"/c/{company.slug}/").content.decode()
    assert "Was Ihre Rolle darf" in page


@pytest.mark.django_db
def test_language_switch_refuses_foreign_redirects_and_unknown_languages(company, client_for, settings):
    client = client_for(company)
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_saved_language_applies_at_login(make_member, company, client):
    user = make_member(company, username="greta")
    Profile.objects.create(user=user, language="de")
    response = client.post("/login/", {"username": "greta", "password": "pw"})
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Abmelden" in page


def test_templates_with_ragged_indentation_are_extracted(tmp_path, settings, monkeypatch):
    source = tmp_path / "templates"
    source.mkdir()
    (source / "page.html").write_text(
        '{% load i18n %}<div>\n        <p>{% translate "Deep" %}</p>\n  <p>{% translate "Shallow" %}\n   </p></div>'
    )
    monkeypatch.setattr(i18n, "SOURCE_DIRS", [str(source)])
    settings.BASE_DIR = tmp_path
    assert {m.key[1] for m in i18n.extract_messages()} == {"Deep", "Shallow"}
