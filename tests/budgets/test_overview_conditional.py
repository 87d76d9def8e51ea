"""Issue 19: the budgets overview answers 304 while nothing it shows has changed (core.conditional).

Every budget service (lines, their workflow, spend, channels) and the cascade rows the overview names (key results
and objectives) make the next conditional GET a 200 with the new figures; a 304 costs session, user and membership
at any number of lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets import services
from objectives.services import cascade as cascade_services
from tests.budgets.test_pages import login, page
from tests.conditional_pages import asked_again, kept

pytestmark = pytest.mark.django_db


def _create(world):
    world.line(amount="12345.00", title="Webinarreihe")
    return lambda html: 'data-testid="total-planned">€32,345.00<' in html


def _approve(world):
    line = world.line_submitted
    services.budget_line_approve(line=line, actor=world.cmo)
    return lambda html: 'data-testid="total-approved">€20,000.00<' in html


def _reject(world):
    services.budget_line_reject(line=world.line_submitted, actor=world.cmo, reason="Zu teuer")
    return lambda html: 'data-testid="total-planned">€10,000.00<' in html


def _spend(world):
    services.spend_entry_create(line=world.line_approved, date=world.cycle.start_date, amount=Decimal("777.00"),
                                actor=world.cmo)  # fmt: skip
    return lambda html: 'data-testid="total-actual">€777.00<' in html


def _channel(world):
    services.channel_update(channel=world.channel, actor=world.cmo, name="Messen und Events")
    return lambda html: "Messen und Events" in html


def _key_result(world):
    kr = type(world.kr).objects.get(pk=world.kr.pk)
    cascade_services.key_result_update(key_result=kr, version=kr.version, title="600 qualifizierte Leads", actor=None)
    return lambda html: "600 qualifizierte Leads" in html


CHANGES = {
    "budget_line_create": _create,
    "budget_line_approve": _approve,
    "budget_line_reject": _reject,
    "spend_entry_create": _spend,
    "channel_update": _channel,
    "key_result_update (cascade)": _key_result,
}


@pytest.fixture
def lines(world):
    world.line_approved = world.approved(amount="10000.00", title="Messestand Hannover")
    world.line_submitted = world.line(amount="10000.00", title="Messestand Essen")
    return world


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_budget_change_makes_the_next_conditional_get_fresh(lines, change):
    client = login(lines.cmo)
    kept_page = kept(client, page(lines, "overview/"), {"cycle": lines.cycle.pk})
    shows = change(lines)
    answer = asked_again(client, page(lines, "overview/"), kept_page, {"cycle": lines.cycle.pk})
    assert answer.status_code == 200 and answer["ETag"] != kept_page["ETag"]
    assert not shows(kept_page.content.decode()) and shows(answer.content.decode())


@pytest.mark.parametrize("size", [2, 20])
def test_a_304_of_the_overview_costs_session_user_and_membership(world, size, django_assert_num_queries):
    for index in range(size):
        world.line(title=f"Line {index}")
    client = login(world.cmo)
    kept_page = kept(client, page(world, "overview/"))
    with django_assert_num_queries(3):
        assert asked_again(client, page(world, "overview/"), kept_page).status_code == 304
