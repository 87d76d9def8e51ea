"""Role names as users say them, the same everywhere: the README, the menu, `make run`'s printed logins and the
members page, in English and German."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from companies.demo import DEMO_PEOPLE, demo_logins
from companies.permissions import Role, role_names

# What a B2B marketing organisation calls these people, per language.
NAMES = {
    Role.FACILITATOR: ("Facilitator", "Moderation"),
    Role.CMO: ("CMO", "CMO"),
    Role.EXECUTIVE: ("Executive", "Geschäftsführung"),
    Role.MEMBER: ("Member", "Mitglied"),
    Role.PARTNER: ("Partner", "Partner"),
}
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_its_name_in_both_languages(role):
    for language, name in zip(("en", "de"), NAMES[role], strict=True):
        with translation.override(language):
            assert str(Role(role).label) == name
    english, german = NAMES[role]
    assert role_names(role) == (english if english == german else f"{english} / {german}")


def test_readme_names_every_printed_login_as_make_run_prints_it():
    assert {role for *_rest, role, _team, printed in DEMO_PEOPLE if printed} == set(Role)
    for username, names in demo_logins():
        assert f"`{username}` ({names}" in README.replace("\n", " ")
    for role in Role:
        assert f"**{role_names(role)}**" in README, f"the README's role list lacks {role_names(role)}"


@pytest.mark.parametrize("language", ["en", "de"])
def test_members_page_and_menu_use_the_same_names(company, client_for, make_member, language):
    for role in Role:
        make_member(company, role, first_name=f"Person {role}")
    client = client_for(company, Role.EXECUTIVE)
    client.cookies["django_language"] = language
    body = client.get("/c/acme/members/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    index = 0 if language == "en" else 1
    for role in Role:
        assert f">{NAMES[role][index]}</option>" in body or f"<td>{NAMES[role][index]}</td>" in body
    assert f'<span class="role-badge">{NAMES[Role.EXECUTIVE][index]}</span>' in body
