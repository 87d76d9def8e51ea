"""Honest periods on the board: it opens on the last complete period and remembers the user's choice; a running
period is compared with the same number of days of the previous one (and says so); periods are named in the
user's language; empty charts say why and link to the last complete period."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from companies.permissions import Role
from tests.factories_board import KpiSnapshotFactory
from tests.reporting.board_fixtures import fake_kpis_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def month_of(day: dt.date) -> dict:
    start = day.replace(day=1)
    return {
        "period_start": start,
        "period_end": start.replace(day=calendar.monthrange(start.year, start.month)[1]),
        "period_key": f"{start:%Y-%m}",
    }


def months():
    today = timezone.localdate()
    this = today.replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    before = (last - dt.timedelta(days=1)).replace(day=1)
    return today, this, last, before


def tile(page: str, key: str = "fake_leads") -> str:
    match = re.search(rf'<li class="kpi-tile[^"]*" data-kpi="{key}".*?</li>', page, re.S)
    assert match, f"no tile {key}"
    return re.sub(r"\s+", " ", match.group(0))


def board(client, query: str = "", **headers) -> str:
    return client.get(f"/c/acme/board/{query}", **headers).content.decode()


def test_the_board_opens_on_the_last_complete_month_not_the_running_one(company, client_for, fake_kpis):
    today, this, last, before = months()
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("90"), **month_of(before))
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("3"), data_through=today, **month_of(this))
    page = board(client_for(company, Role.EXECUTIVE))
    leads = tile(page)
    assert ">99</p>" in leads
    assert "+10% vs " + before.strftime("%B %Y") in leads  # 99 against 90: complete against complete
    assert 'data-testid="period-in-progress"' not in page
    # the running month is one choice away
    assert f'<option value="{this:%Y-%m}">' in page


def test_the_choice_of_period_type_and_period_is_remembered(company, client_for, fake_kpis):
    _today, _this, last, before = months()
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("90"), **month_of(before))
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    client = client_for(company, Role.EXECUTIVE)
    assert ">90</p>" in tile(board(client, f"?period=month&key={before:%Y-%m}"))
    page = board(client)  # next visit, no query
    assert ">90</p>" in tile(page)
    assert f'<option value="{before:%Y-%m}" selected>' in page
    assert ">99</p>" in tile(board(client, "?period=month&key="))  # back to "last complete"
    board(client, "?period=quarter")
    assert 'href="?period=quarter&amp;key=" aria-current="page"' in board(client)


def test_a_period_without_figures_falls_back_to_the_default(company, client_for, fake_kpis):
    _today, _this, last, _before = months()
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    page = board(client_for(company, Role.EXECUTIVE), "?period=month&key=1999-01")
    assert ">99</p>" in tile(page)


def test_a_running_period_compares_with_the_same_days_of_the_previous_one_and_says_so(company, client_for, fake_kpis):
    today, this, last, _before = months()
    days = (today - this).days + 1
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("300"), **month_of(last))  # whole month
    KpiSnapshotFactory(
        company=company,
        kpi="fake_leads",
        value=Decimal("60"),
        target=Decimal("120"),
        data_through=today,
        comparison_value=Decimal("50"),
        comparison_start=last,
        comparison_end=last + dt.timedelta(days=days - 1),
        **month_of(this),
    )
    page = board(client_for(company, Role.EXECUTIVE), f"?period=month&key={this:%Y-%m}")
    leads = tile(page)
    end = last + dt.timedelta(days=days - 1)
    same_days = f"{last.day}–{end.day} {end:%b %Y}" if days > 1 else f"{end.day} {end:%b %Y}"
    assert f"+20% vs {same_days} (same {days} days)" in leads  # 60 against 50, not against 300
    assert "−80" not in leads and "−100" not in leads
    assert f"In progress: day {days} of" in page
    assert "Changes compare with the same number of days of the previous period" in page
    assert f'?period=month&amp;key={last:%Y-%m}">Show {last:%B %Y} (complete)</a>' in page


def test_a_previous_period_stored_while_it_ran_is_not_compared(company, client_for, fake_kpis):
    _today, _this, last, before = months()
    # "before" was last refreshed on its 6th day: its 4 leads are not a month
    KpiSnapshotFactory(
        company=company, kpi="fake_leads", value=Decimal("4"), data_through=before + dt.timedelta(days=5),
        **month_of(before),
    )  # fmt: skip
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    leads = tile(board(client_for(company, Role.EXECUTIVE)))
    assert ">99</p>" in leads
    assert " vs " not in leads


def test_a_running_sum_kpi_is_measured_against_its_target_to_date(company, client_for, monkeypatch, fake_kpis):
    from types import SimpleNamespace

    from reporting import kpis

    monkeypatch.setitem(
        kpis.KPIS, "fake_leads", SimpleNamespace(key="fake_leads", label="Fake qualified leads", unit="number",
                                                 higher_is_better=True, compute=None, aggregation="sum"),
    )  # fmt: skip
    today, this, _last, _before = months()
    days = (today - this).days + 1
    length = calendar.monthrange(this.year, this.month)[1]
    target = Decimal(length * 10)  # 10 a day
    KpiSnapshotFactory(
        company=company, kpi="fake_leads", value=Decimal(days * 10), target=target, data_through=today,
        **month_of(this),
    )  # fmt: skip
    leads = tile(board(client_for(company, Role.EXECUTIVE), f"?period=month&key={this:%Y-%m}"))
    if days < length:
        assert f"Target to date {days * 10} (of {length * 10})" in leads
    assert ">on track</span>" in leads  # on pace, though far below the whole month's target


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("en", "November 2026", "Dezember"), ("de", "November 2026", "December")],
)
def test_period_names_follow_the_users_language_whatever_the_refresh_stored(
    company, client_for, fake_kpis, settings, language, shown, hidden
):
    settings.LANGUAGE_CODE = language
    for month, stored in ((11, "November 2026"), (12, "Dezember 2026")):
        KpiSnapshotFactory(
            company=company, kpi="fake_leads", value=Decimal(month), period_label=stored,
            **month_of(dt.date(2026, month, 1)),
        )  # fmt: skip
    page = board(client_for(company, Role.EXECUTIVE), "?period=month&key=2026-12", HTTP_ACCEPT_LANGUAGE=language)
    header = re.search(r'data-testid="board-period">(.*?)</p>', page, re.S).group(1)
    expected = "December 2026" if language == "en" else "Dezember 2026"
    assert expected in header
    assert hidden not in page
    assert shown in tile(page)  # the comparison names the previous month


def test_an_empty_chart_says_why_and_links_the_last_complete_period(company, client_for, fake_kpis):
    today, this, last, _before = months()
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("1"), data_through=today, **month_of(this))
    page = board(client_for(company, Role.EXECUTIVE), f"?period=month&key={this:%Y-%m}")
    funnel = re.search(r'data-chart="funnel">.*?</section>', page, re.S).group(0)
    assert "No funnel figures for this period yet." in funnel
    assert "The period is running (day" in funnel
    assert f'href="?period=month&amp;key={last:%Y-%m}" data-testid="last-complete-link">Show {last:%B %Y}' in funnel


def test_how_is_this_computed_states_the_definitions_in_effect(company, client_for, fake_kpis):
    from reporting.models import ReportingSettings

    page = board(client_for(company, Role.EXECUTIVE))
    definitions = re.search(r'data-testid="board-definitions">.*?</details>', page, re.S).group(0)
    assert "a lead without any stage date that has an opportunity reaches every stage up to" in definitions
    assert "This company counts as qualified: Marketing qualified lead (MQL)." in definitions
    assert "the defaults, matching the standard source values of HubSpot and Salesforce" in definitions
    assert "Offline Sources" in definitions and "Direct Traffic" in definitions
    assert "B2B U-shaped (40/40/20)" in definitions and "W-shaped (30/30/30/10)" in definitions
    assert "spread evenly over the touches strictly between the first touch and the lead-creation touch" in definitions
    ReportingSettings.objects.create(company=company, sales_sources=["Messen"], qualified_stage="sql")
    definitions = board(client_for(company, Role.EXECUTIVE))
    assert "the company&#x27;s own lists" in definitions or "the company's own lists" in definitions
    assert "Sales-sourced: Messen." in definitions
    assert "This company counts as qualified: Sales qualified lead (SQL)." in definitions


def test_the_print_margins_escape_company_names_so_nothing_ends_the_style_element(company, client_for, fake_kpis):
    from reporting.views.board import css_string

    assert css_string('A & "B" </style>') == '"A \\000026 \\000022B\\000022 \\00003c\\00002fstyle\\00003e"'
    company.name = "Acme </style><script>alert(1)</script>"
    company.save()
    _today, _this, last, _before = months()
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("99"), **month_of(last))
    page = board(client_for(company, Role.EXECUTIVE))
    style = re.search(r'<style media="print">(.*?)</style>', page, re.S).group(1)
    assert "<" not in style and "Acme \\00003c\\00002fstyle" in style
    assert f"{last:%B %Y}" in style and "Page" in style and "Figures as of" in style
