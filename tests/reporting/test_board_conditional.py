"""Issue 19: the whole board page answers 304 while nothing it shows has changed (core.conditional).

Every service that changes the board's figures (the same cases as the cached body, test_board_versions) and the
parts around them (the refresh status, the viewer's digest opt-in, the period chosen) makes the next conditional
GET a 200 with the new content; a running refresh and the ages keep it from being confirmed stale; a 304 costs
session, user and membership."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from companies.permissions import Role
from core import versions
from reporting import services_digest, services_kpi
from reporting.models_snapshots import KpiRefresh, KpiSnapshot
from tests.conditional_pages import asked_again, kept
from tests.factories_board import board_scenario
from tests.reporting.board_fixtures import fake_kpis_fixture, today_fixture  # noqa: F401
from tests.reporting.test_board_versions import CHANGES, board, url  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(company, board):  # noqa: F811
    """The board's figures computed three hours ago: "3 hours ago" holds for most of an hour, so two requests in a
    row on a slow machine still see the same page."""
    age_figures(company)
    return board


def age_figures(company) -> None:
    KpiSnapshot.objects.filter(company=company).update(computed_at=timezone.now() - dt.timedelta(hours=3, minutes=1))
    versions.bump("board", company_id=company.pk)  # update() sends no signal


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_of_the_figures_makes_the_next_conditional_get_fresh(company, aged, client_for, change):
    client = client_for(company, Role.CMO)
    page = kept(client, url(company))
    shows = change(company, aged)
    answer = asked_again(client, url(company), page)
    assert answer.status_code == 200 and answer["ETag"] != page["ETag"]
    assert not shows(page.content.decode()) and shows(answer.content.decode())


def test_the_viewers_digest_opt_in_moves_the_etag(company, aged, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, url(company))
    services_digest.digest_subscription_set(company=company, user=client.user, weekly=True)
    answer = asked_again(client, url(company), page)
    assert answer.status_code == 200 and "Stop the weekly e-mail" in answer.content.decode()
    assert "Stop the weekly e-mail" not in page.content.decode()


def test_a_refresh_in_progress_is_never_confirmed_and_its_end_is_seen(company, aged, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, url(company))
    refresh = KpiRefresh.objects.create(company=company, status="running", started_at=timezone.now())
    running = asked_again(client, url(company), page)
    assert running.status_code == 200 and "Refreshing" in running.content.decode()
    assert not running.has_header("ETag")  # progress moves without a data change
    # the end of the run is an update() (no signal): the page was never kept while it ran
    KpiRefresh.objects.filter(pk=refresh.pk).update(status="failed", finished_at=timezone.now(), error="boom")
    failed = asked_again(client, url(company), page)
    assert failed.status_code == 200 and "The last refresh failed." in failed.content.decode()
    assert failed.has_header("ETag")


def test_the_period_chosen_and_remembered_in_the_session_is_part_of_the_etag(company, aged, client_for):
    client = client_for(company, Role.CMO)
    page = kept(client, url(company))
    client.get(url(company), {"period": "quarter"})  # remembered for the next visit of the plain URL
    answer = asked_again(client, url(company), page)
    assert answer.status_code == 200 and answer["ETag"] != page["ETag"]


def test_an_age_on_the_page_is_not_confirmed_once_it_reads_differently(company, aged, client_for, monkeypatch):
    client = client_for(company, Role.CMO)
    page = kept(client, url(company))
    assert "computed 3\xa0hours ago" in page.content.decode()
    later = timezone.now() + dt.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert asked_again(client, url(company), page).status_code == 200


@pytest.mark.parametrize("size", [1, 4])
def test_a_304_of_the_board_costs_session_user_and_membership(company, today, fake_kpis, client_for, size,
                                                              django_assert_num_queries):  # fmt: skip
    board_scenario(company, today=today, size=size)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    age_figures(company)
    client = client_for(company, Role.EXECUTIVE)
    page = kept(client, url(company))
    with django_assert_num_queries(3):
        assert asked_again(client, url(company), page).status_code == 304
