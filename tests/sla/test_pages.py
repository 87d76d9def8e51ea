"""The SLA pages: what each role sees, another company's pages are a 404, the rules form saves through the
service, the texts exist in German, and the query counts stay constant at two data sizes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from companies.permissions import Role
from sla.models import SlaCalendar, SlaRule
from tests.factories_crm import LeadFactory

from .fixtures import handover_leads

pytestmark = pytest.mark.django_db

PAGES = ["sla:overview", "sla:breaches", "sla:feedback", "sla:rules"]


def url(name, company, **query):
    base = reverse(name, kwargs={"company_slug": company.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def recent_leads(company):
    """Leads relative to today, so the overview (which measures at now) has open breaches and rejections."""
    now = dt.datetime.now(tz=dt.UTC)

    def make(n: int, prefix: str) -> None:
        for i in range(n):
            mql = now - dt.timedelta(days=20 + i % 30, hours=i)
            LeadFactory(company=company, external_id=f"{prefix}{i}", owner=f"Owner {i % 4}", segment="Stadtwerke",
                        created=mql - dt.timedelta(days=1), mql_at=mql,
                        rejected_at=mql + dt.timedelta(hours=3) if i % 3 == 0 else None,
                        rejection_reason=["Kein Budget", "Falscher Ansprechpartner"][i % 2] if i % 3 == 0 else "",
                        recycled_at=mql + dt.timedelta(days=2) if i % 6 == 0 else None)  # fmt: skip

    return make


@pytest.mark.parametrize("name", PAGES)
def test_another_companys_pages_are_404(name, company, other_company, client_for):
    client = client_for(company, Role.CMO)
    assert client.get(url(name, other_company)).status_code == 404
    assert client.get(url(name, company)).status_code == 200


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.CMO, Role.EXECUTIVE, Role.MEMBER])
def test_every_role_reads_the_slas_and_finds_them_in_the_navigation(role, company, client_for):
    response = client_for(company, role).get(url("sla:overview", company))
    assert response.status_code == 200
    assert f'href="{url("sla:overview", company)}"' in response.content.decode()


def test_overview_shows_compliance_and_open_breaches(company, client_for, recent_leads):
    recent_leads(6, "L")
    page = client_for(company, Role.EXECUTIVE).get(url("sla:overview", company)).content.decode()
    assert "An MQL is accepted (SAL) or rejected by sales within 24 working hours." in page
    # L0 and L3 were rejected within 3 h; the four others wait for more than 24 working hours
    assert "4 open breaches" in page
    assert page.count('data-testid="breach-row"') == 4
    assert "Owner 1" in page and "L1" in page


def test_breaches_page_groups_by_owner(company, client_for, recent_leads):
    recent_leads(8, "L")
    page = client_for(company, Role.MEMBER).get(url("sla:breaches", company)).content.decode()
    # not rejected: i = 1, 2, 4, 5, 7 -> owners 1, 2, 0, 1, 3
    assert page.count('data-testid="breach-row"') == 5
    assert "Owner 1: 2" in page and "Owner 0: 1" in page


def test_feedback_page_lists_reasons_and_leads(company, client_for):
    handover_leads(company)
    LeadFactory(company=company, external_id="NOW1", rejected_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=2),
                rejection_reason="Falscher Ansprechpartner", owner="Anna Vertrieb")  # fmt: skip
    client = client_for(company, Role.CMO)
    page = client.get(url("sla:feedback", company, days=30)).content.decode()
    assert "Falscher Ansprechpartner" in page and "NOW1" in page
    assert "M2" not in page  # rejected in May 2026, outside the last 30 days
    assert client.get(url("sla:feedback", company, days="abc")).status_code == 200  # falls back to 90 days


def test_rules_page_saves_for_the_cmo_and_refuses_the_executive(company, client_for):
    data = {
        "mql_response-is_active": "on", "mql_response-hours": "16", "mql_response-target_percent": "95.5",
        "sal_first_contact-is_active": "on", "sal_first_contact-hours": "40", "sal_first_contact-target_percent": "90",
        "lead_volume-monthly_leads": "12", "lead_volume-target_percent": "100",
        "calendar-time_zone": "Europe/Berlin", "calendar-country": "DE", "calendar-subdivision": "BY",
        "calendar-day_start": "08:00", "calendar-day_end": "16:30",
    }  # fmt: skip
    executive = client_for(company, Role.EXECUTIVE)
    assert executive.post(url("sla:rules", company), data).status_code == 403
    assert not SlaRule.objects.exists()
    page = executive.get(url("sla:rules", company)).content.decode()
    assert "Facilitators and CMOs change the SLA rules." in page
    cmo = client_for(company, Role.CMO)
    response = cmo.post(url("sla:rules", company), data)
    assert response.status_code == 302
    rules = {r.kind: r for r in SlaRule.objects.filter(company=company)}
    assert rules["mql_response"].hours == 16 and rules["mql_response"].target_percent == Decimal("95.5")
    assert rules["lead_volume"].monthly_leads == 12 and rules["lead_volume"].is_active is False
    calendar = SlaCalendar.objects.get(company=company)
    assert (calendar.subdivision, calendar.day_start, calendar.day_end) == ("BY", dt.time(8), dt.time(16, 30))


def test_rules_page_shows_errors_and_saves_nothing(company, client_for):
    cmo = client_for(company, Role.FACILITATOR)
    data = {
        "mql_response-is_active": "on", "mql_response-hours": "", "mql_response-target_percent": "90",
        "sal_first_contact-hours": "48", "sal_first_contact-target_percent": "90",
        "lead_volume-monthly_leads": "20", "lead_volume-target_percent": "100",
        "calendar-time_zone": "Europe/Berlin", "calendar-country": "DE", "calendar-subdivision": "ZZ",
        "calendar-day_start": "09:00", "calendar-day_end": "17:00",
    }  # fmt: skip
    response = cmo.post(url("sla:rules", company), data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    data["mql_response-hours"] = "24"
    response = cmo.post(url("sla:rules", company), data)
    assert response.status_code == 400
    assert "is not a region of DE" in response.content.decode()
    assert not SlaRule.objects.exists() and not SlaCalendar.objects.exists()


def test_pages_in_german(company, client_for, recent_leads):
    recent_leads(3, "L")
    client = client_for(company, Role.CMO)
    client.cookies["django_language"] = "de"
    page = client.get(url("sla:overview", company), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Übergabe-SLAs" in page and "offene Verstöße" in page


@pytest.mark.parametrize("name", PAGES)
def test_query_counts_are_constant(name, company, client_for, recent_leads, django_assert_max_num_queries):
    client = client_for(company, Role.CMO)
    recent_leads(5, "A")
    client.get(url(name, company))  # warm the per-process caches (holiday calendar, session)
    with django_assert_max_num_queries(14) as small:
        assert client.get(url(name, company)).status_code == 200
    recent_leads(40, "B")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(name, company)).status_code == 200
