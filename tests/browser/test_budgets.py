"""In a real browser: a CMO binds an unbound budget line to a key result from the approval queue (keyboard only);
having changed that version, she cannot approve it herself, and an executive approves it in place."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from budgets import services
from budgets.models import BudgetLine
from companies.permissions import Role
from tests.factories import (
    CompanyFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)
from tests.factories_budgets import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_cmo_binds_an_unbound_line_and_another_person_approves_it(live_server, login):
    company = CompanyFactory(name="Acme Energie", slug="acme")
    cycle = CycleFactory(
        company=company, name="FY 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    objective = ObjectiveFactory(company=company, cycle=cycle, title="Marktführer im Mittelstand")
    KeyResultFactory(company=company, objective=objective, title="500 qualifizierte Leads")
    KeyResultFactory(company=company, objective=objective, title="Pipeline 2 Mio")
    cmo = UserFactory(username="carla", first_name="Carla", last_name="Marketing")
    member = UserFactory(username="jonas", first_name="Jonas", last_name="Weber")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=member, company=company, role=Role.MEMBER)
    executive = UserFactory(username="petra", first_name="Petra", last_name="Schulz")
    MembershipFactory(user=executive, company=company, role=Role.EXECUTIVE)
    line = services.budget_line_create(
        company=company,
        cycle=cycle,
        title="Podcast Staffel 2",
        channel=ChannelFactory(company=company, name="Content"),
        planned_amount=Decimal("9800.00"),
        actor=member,
        submit=True,
    )

    page = login("carla", "pw")
    policy_errors = []
    page.on(
        "console",
        lambda m: (
            policy_errors.append(m.text) if "Content Security Policy" in m.text or "EvalError" in m.text else None
        ),
    )
    page.goto(f"{live_server.url}/c/acme/budgets/")
    row = page.locator("tr", has_text="Podcast Staffel 2")
    expect(row.get_by_text("Not bound to a key result")).to_be_visible()
    expect(row.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    search = row.get_by_label("Bind to key result")
    search.fill("leads")
    option = row.get_by_role("button", name=re.compile("500 qualifizierte Leads"))
    expect(option).to_be_visible()
    expect(row.get_by_role("button", name=re.compile("Pipeline 2 Mio"))).to_have_count(0)
    search.press("ArrowDown")
    expect(option).to_be_focused()
    page.keyboard.press("Enter")

    expect(row).to_contain_text("500 qualifizierte Leads")
    expect(row).to_contain_text("Marktführer im Mittelstand")
    expect(page.locator(".toast").filter(has_text="is now bound to")).to_be_visible()
    # Four eyes on the version: Carla bound it, so someone else approves.
    expect(row).to_contain_text("another person must approve it")
    expect(row.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    page.context.clear_cookies()
    page = login("petra", "pw")  # the same browser page: the console listener above still records
    page.goto(f"{live_server.url}/c/acme/budgets/")
    row = page.locator("tr", has_text="Podcast Staffel 2")
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(row.locator(".budget-state")).to_have_text("Approved")
    expect(row).to_contain_text("by Petra Schulz")

    assert policy_errors == []
    line.refresh_from_db()
    assert line.state == BudgetLine.State.APPROVED
    assert line.key_result.title == "500 qualifizierte Leads"
    assert line.approver == executive and line.last_changed_by == cmo
    assert list(line.audit_entries.values_list("event", flat=True)) == ["create", "submit", "bind", "approve"]


def test_overview_renders_its_plotly_charts_under_the_csp(live_server, login):
    company = CompanyFactory(name="Acme Energie", slug="acme")
    cycle = CycleFactory(
        company=company, name="FY 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    kr = KeyResultFactory(company=company, objective=ObjectiveFactory(company=company, cycle=cycle, title="Ziel"))
    cmo = UserFactory(username="carla")
    member = UserFactory(username="jonas")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=member, company=company, role=Role.MEMBER)
    line = services.budget_line_create(
        company=company,
        cycle=cycle,
        title="Messe",
        channel=ChannelFactory(company=company, name="Messen"),
        planned_amount=Decimal("20000.00"),
        key_result=kr,
        actor=member,
        submit=True,
    )
    line = services.budget_line_approve(line=line, actor=cmo)
    services.spend_entry_create(line=line, date=dt.date(2026, 3, 1), amount=Decimal("25000.00"), actor=cmo)

    page = login("carla", "pw")
    policy_errors = []
    page.on("console", lambda m: policy_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/c/acme/budgets/overview/")
    expect(page.get_by_test_id("bound-share")).to_have_text("100%")
    expect(page.locator("[data-chart] .main-svg").first).to_be_visible()
    for chart in page.locator("[data-chart]").all():  # each chart is drawn when it scrolls into view (issue 19)
        chart.scroll_into_view_if_needed()
    expect(page.locator("[data-chart][data-rendered]")).to_have_count(4)
    expect(page.get_by_role("row", name=re.compile("Messen")).get_by_text("Overspent")).to_be_visible()
    assert policy_errors == []
