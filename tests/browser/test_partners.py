"""An external partner in the browser, over a slow network: a CMO invites a partner agency (the e-mail goes through
a real SMTP server), the partner creates an account and signs in, the CMO assigns them to one initiative, the partner
sees only that initiative and its key result (the rest of the company is 404) and checks in on the key result, and
the CMO's partner scorecard shows the new progress."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from companies.models import Membership
from companies.permissions import Role
from objectives.models import CheckIn
from tests.browser.test_accessibility import serious_violations
from tests.factories import (
    CompanyFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _slow(page, delay_s: float = 0.3):
    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/*", handle)


def _sign_in(page, url, username, password="pw"):
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")


def test_cmo_invites_a_partner_who_sees_only_their_initiative_and_checks_in(live_server, browser, smtp):
    company = CompanyFactory(name="Voltaria Energie AG", slug="voltaria")
    TeamFactory(company=company, name="Agentur Nordlicht")
    cmo = UserFactory(username="markus", first_name="Markus", last_name="Hoffmann")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=UserFactory(username="lena"), company=company, role=Role.FACILITATOR)
    MembershipFactory(user=UserFactory(username="petra"), company=company, role=Role.EXECUTIVE)
    cycle = CycleFactory(company=company, name="Geschäftsjahr 2026")
    objective = ObjectiveFactory(cycle=cycle, company=company, title="Nachfrage bei Netzbetreibern steigern")
    leads = KeyResultFactory(objective=objective, title="Qualifizierte Leads aus Webinaren", current_value=20)
    secret_objective = ObjectiveFactory(cycle=cycle, company=company, title="Geheimes Vorstandsziel")
    secret_kr = KeyResultFactory(objective=secret_objective, title="Geheime Marge")
    InitiativeFactory(cycle=cycle, title="Webinar-Reihe Netzstabilität", key_results=[leads])
    secret = InitiativeFactory(cycle=cycle, title="Geheime Übernahme", key_results=[secret_kr])

    # The CMO invites the agency's contact as a partner.
    cmo_page = browser.new_context(locale="en-US").new_page()
    _slow(cmo_page)
    _sign_in(cmo_page, live_server.url, "markus")
    cmo_page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Members").click()
    cmo_page.get_by_label("E-mail").fill("kai@nordlicht.example")
    cmo_page.get_by_label("Role", exact=True).select_option(label="Partner")
    cmo_page.get_by_label("Team", exact=True).select_option(label="Agentur Nordlicht")
    cmo_page.get_by_label("Language of the invitation").select_option("en")
    cmo_page.get_by_role("button", name="Send invitation").click()
    expect(cmo_page.get_by_role("status").first).to_contain_text("Invitation sent to kai@nordlicht.example.")

    # The partner accepts from the e-mail and signs in.
    [mail] = smtp.wait_for(1)
    link = re.search(r"https?://\S+", mail.get_body(preferencelist=("plain",)).get_content()).group(0)
    partner_page = browser.new_context(locale="en-US").new_page()
    _slow(partner_page)
    partner_page.goto(link)
    partner_page.get_by_label("Username").fill("kai")
    partner_page.get_by_label("First name").fill("Kai")
    partner_page.get_by_label("Last name").fill("Lorenz")
    partner_page.get_by_label("Password", exact=True).press_sequentially("Nordlicht-Wind-7!", delay=40)
    partner_page.get_by_label("Repeat password").press_sequentially("Nordlicht-Wind-7!", delay=40)
    partner_page.get_by_role("button", name="Create account and join").click()
    expect(partner_page.get_by_role("heading", level=1)).to_have_text("Voltaria Energie AG")
    assert Membership.objects.get(user__username="kai").role == Role.PARTNER
    nav = partner_page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="My initiatives")).to_be_visible()
    expect(nav.get_by_role("link", name="Cascade")).to_have_count(0)
    nav.get_by_role("link", name="My initiatives").click()
    expect(partner_page.get_by_test_id("partner-empty")).to_be_visible()

    # The CMO assigns them to the webinar series on the partner scorecard.
    cmo_page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Partners").click()
    expect(cmo_page.get_by_role("heading", level=1)).to_have_text("Partner scorecard")
    card = cmo_page.locator('section[data-partner="kai"]')
    card.get_by_label("Assign to initiative").select_option(label="Webinar-Reihe Netzstabilität (Geschäftsjahr 2026)")
    card.get_by_role("button", name="Assign", exact=True).click()
    expect(cmo_page.get_by_role("status").first).to_contain_text(
        "Kai Lorenz now works on “Webinar-Reihe Netzstabilität”."
    )

    # The partner sees that initiative and its key result, nothing else.
    partner_page.reload()
    expect(partner_page.get_by_role("heading", name="Webinar-Reihe Netzstabilität")).to_be_visible()
    expect(partner_page.get_by_role("heading", name="Qualifizierte Leads aus Webinaren")).to_be_visible()
    expect(partner_page.locator("main")).not_to_contain_text("Geheim")
    assert serious_violations(partner_page) == []
    for path in (
        "/c/voltaria/cascade/",
        f"/c/voltaria/priorities/{secret.pk}/",
        f"/c/voltaria/objectives/{secret_objective.pk}/",
        "/c/voltaria/budgets/",
        "/c/voltaria/board/",
        "/c/voltaria/members/",
        "/c/voltaria/partners/",
        f"/api/v1/companies/voltaria/key-results/{secret_kr.pk}/",
    ):
        response = partner_page.request.get(live_server.url + path)
        assert response.status == 404, path
        assert "Geheim" not in response.text(), path
    response = partner_page.request.post(
        f"{live_server.url}/api/v1/companies/voltaria/partner/key-results/{secret_kr.pk}/check-ins/",
        data={"value": "1", "confidence": "0.5"},
    )
    assert response.status in {403, 404}  # no CSRF token for a session POST, and no such key result either way

    # ... and checks in on it, typing at human speed.
    partner_page.get_by_label("New value").fill("")  # the field starts with the current value, 20
    partner_page.get_by_label("New value").press_sequentially("35", delay=60)
    partner_page.get_by_label("Confidence (%)").fill("60")
    partner_page.get_by_label("Comment").press_sequentially("Zwei Webinare mit 140 Anmeldungen", delay=20)
    partner_page.get_by_role("button", name="Save check-in").click()
    expect(partner_page.get_by_role("status").first).to_contain_text(
        "Check-in saved: Qualifizierte Leads aus Webinaren"
    )
    expect(partner_page.get_by_test_id("kr-progress")).to_have_text("Progress 35%")
    check_in = CheckIn.objects.get(key_result=leads)
    assert (check_in.value, check_in.confidence, check_in.author.username) == (Decimal("35"), Decimal("0.60"), "kai")
    assert not CheckIn.objects.filter(key_result=secret_kr).exists()

    # The CMO's scorecard follows.
    cmo_page.reload()
    card = cmo_page.locator('section[data-partner="kai"]')
    expect(card.get_by_test_id("progress")).to_have_text("35%")
    expect(card).to_contain_text("Qualifizierte Leads aus Webinaren — 35%")
    assert serious_violations(cmo_page) == []
