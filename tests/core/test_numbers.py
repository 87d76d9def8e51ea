"""core.numbers: what people type is read by their language, and an amount reads the same on every page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import translation

from companies.permissions import Role
from core import numbers
from core.forms import LocalizedDecimalField, MoneyField
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_board import KpiSnapshotFactory
from tests.factories_budgets import BudgetLineFactory
from tests.reporting.board_fixtures import active_cycle_fixture, fake_kpis_fixture, today_fixture  # noqa: F401

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("de", "4.500", "4500"),
        ("de", "4.500,50", "4500.50"),
        ("de", "1.234.567,89", "1234567.89"),
        ("de", "4500", "4500"),
        ("de", "0,5", "0.5"),
        ("de", "4.500 €", "4500"),
        ("de", "-12,5", "-12.5"),
        ("en", "4,500.50", "4500.50"),
        ("en", "4.5", "4.5"),
        ("en", "€4,500", "4500"),
        ("de", "", None),
    ],
)
def test_typed_numbers_are_read_by_the_language(language, typed, expected):
    value = numbers.parse_decimal(typed, language=language)
    assert value == (Decimal(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("de", "4.50", "“4.50” is not a number; write it like 4.500,50."),
        ("de", "4,500.50", "“4,500.50” is not a number; write it like 4.500,50."),
        ("en", "4,50", "“4,50” is not a number; write it like 4,500.50."),
        ("en", "abc", "“abc” is not a number; write it like 4,500.50."),
    ],
)
def test_ambiguous_or_wrong_input_is_refused_with_the_expected_form(language, typed, message):
    with pytest.raises(numbers.NumberError) as caught:
        numbers.parse_decimal(typed, language=language)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234,5", "1234.5"),
        ("1234.5", "1234.5"),
        ("1.234.567", "1234567"),
        ("€ 1 234,56", "1234.56"),
        ("-3,5", "-3.5"),
        ("", None),
        (7, "7"),
    ],
)
def test_file_cells_read_german_and_english_alike(cell, expected):
    value = numbers.parse_file_decimal(cell)
    assert value == (Decimal(expected) if expected is not None else None)


@pytest.mark.parametrize("cell", ["abc", "12,3,4", "1.234.567,891,2", "1,2.3,4", "--5", True])
def test_bad_file_cells_are_refused(cell):
    with pytest.raises(numbers.NumberError):
        numbers.parse_file_decimal(cell)


@pytest.mark.parametrize(
    ("language", "money", "percent", "number", "date"),
    [
        ("de", f"12.000,50{NBSP}€", f"63{NBSP}%", "1.234,5", "04.03.2026"),
        ("en", "€12,000.50", "63%", "1,234.5", "4 Mar 2026"),
    ],
)
def test_formats_follow_the_language(language, money, percent, number, date):
    with translation.override(language):
        assert numbers.format_money(Decimal("12000.5"), "EUR") == money
        assert numbers.format_percent(Decimal("0.625")) == percent
        assert numbers.format_decimal(Decimal("1234.5")) == number
        assert numbers.format_date(dt.date(2026, 3, 4)) == date
        assert numbers.format_money(None) == "–"


def test_rounding_is_commercial_and_never_shows_minus_zero():
    assert numbers.format_money(Decimal("0.125"), "EUR", language="en") == "€0.13"
    assert numbers.format_decimal(Decimal("-0.001"), language="de") == "0"
    assert numbers.format_percent(Decimal("-0.004"), language="en") == "0%"


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [("de", "4.500", "4500.00"), ("de", "4.500,50", "4500.50"), ("en", "4,500.50", "4500.50")],
)
def test_money_field_reads_the_language(language, typed, expected):
    with translation.override(language):
        assert MoneyField().clean(typed) == Decimal(expected)


def test_localized_field_says_what_form_is_expected_and_shows_values_the_same_way():
    field = LocalizedDecimalField(max_digits=10, decimal_places=2)
    with translation.override("de"):
        with pytest.raises(Exception) as caught:
            field.clean("4.50")
        assert caught.value.messages == ["„4.50“ ist keine Zahl; schreiben Sie sie wie 4.500,50."]
        assert field.prepare_value(Decimal("4500.5")) == "4.500,5"
        assert field.clean(field.prepare_value(Decimal("4500.5"))) == Decimal("4500.5")


def test_german_user_typing_4500_in_the_budget_form_gets_4500(company, client_for, settings):
    from budgets.models import BudgetLine
    from tests.factories_budgets import ChannelFactory

    settings.LANGUAGE_CODE = "de"
    cycle = CycleFactory(company=company)
    channel = ChannelFactory(company=company, name="Messen")
    client = client_for(company, Role.MEMBER)
    response = client.post(
        f"/c/{company.slug}/budgets/new/",
        {"title": "Messe Hannover", "cycle": cycle.pk, "channel": channel.pk, "planned_amount": "4.500"},
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    assert response.status_code == 200
    assert "Geben Sie eine Zahl ein." not in response.content.decode()
    line = BudgetLine.objects.get(title="Messe Hannover")
    assert line.planned_amount == Decimal("4500.00")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html.replace(NBSP, " "))


@pytest.mark.parametrize(("language", "shown"), [("de", "12.000,00 €"), ("en", "€12,000.00")])
def test_the_same_amount_reads_the_same_on_cascade_budgets_and_board(
    company, client_for, fake_kpis, active_cycle, settings, language, shown
):
    settings.LANGUAGE_CODE = language
    amount = Decimal("12000")
    objective = ObjectiveFactory(company=company, cycle=active_cycle, title="Grow pipeline")
    KeyResultFactory(objective=objective, title="Event pipeline", unit="currency", target_value=amount)
    BudgetLineFactory(company=company, cycle=active_cycle, title="Trade fair", planned_amount=amount)
    KpiSnapshotFactory(
        company=company,
        kpi="fake_cost",
        unit="currency",
        value=amount,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        period_key="2026-11",
    )
    client = client_for(company, Role.EXECUTIVE)
    pages = {
        "cascade": f"/c/{company.slug}/cascade/?cycle={active_cycle.pk}",
        "budgets": f"/c/{company.slug}/budgets/overview/?cycle={active_cycle.pk}",
        "board": f"/c/{company.slug}/board/",
    }
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        assert shown in _text(response.content.decode()), name
    # and not the old forms of the same amount
    cascade = _text(client.get(pages["cascade"], HTTP_ACCEPT_LANGUAGE=language).content.decode())
    assert "12.000 EUR" not in cascade and "12,000 EUR" not in cascade
