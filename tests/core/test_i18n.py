"""German and English from the first screen; the German catalogue is complete."""

import pytest

from companies.models import Profile
from core import i18n


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
    monkeypatch.setattr(i18n, "source_dirs", lambda: [str(source)])
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
    monkeypatch.setattr(i18n, "source_dirs", lambda: [str(source)])
    settings.BASE_DIR = tmp_path
    assert {m.key[1] for m in i18n.extract_messages()} == {"Deep", "Shallow"}


def test_a_message_in_another_apps_catalogue_is_reported(tmp_path, settings, monkeypatch):
    """Each app's messages live in its own catalogue, locale/<app>/ (a page of budgets: locale/budgets)."""
    (tmp_path / "templates" / "budgets").mkdir(parents=True)
    (tmp_path / "templates" / "budgets" / "queue.html").write_text('{% load i18n %}{% translate "Approve" %}')
    for area, body in (("core", 'msgid "Approve"\nmsgstr "Freigeben"\n'), ("budgets", "")):
        folder = tmp_path / "locale" / area / "de" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "django.po").write_text(body, encoding="utf-8")
    monkeypatch.setattr(i18n, "source_dirs", lambda: [str(tmp_path / "templates")])
    monkeypatch.setattr(i18n, "project_app_names", lambda: ["core", "budgets"])
    settings.BASE_DIR = tmp_path
    assert i18n.problems() == [
        "misplaced: 'Approve' (templates/budgets/queue.html:1) is in locale/core, belongs in locale/budgets"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "german"),
    [
        ("/c/acme/", "Was Ihre Rolle darf"),  # companies
        ("/c/acme/history/", "Änderungsverlauf"),  # history
        ("/c/acme/budgets/", "Freigabe-Warteschlange"),  # budgets
        ("/c/acme/budgets/", "Verlauf"),  # the navigation (core)
    ],
)
def test_pages_of_the_moved_apps_speak_german(company, client_for, settings, path, german):
    """After the catalogues moved to one per app (locale/<app>/), the German UI is still German."""
    settings.LANGUAGE_CODE = "de"
    client = client_for(company, "executive")
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert german in response.content.decode()
