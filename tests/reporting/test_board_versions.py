"""Issue 19: the board's figures are rendered once per data version (core.versions).

Every service that changes what the board shows — a KPI refresh, targets, the reporting settings, budget lines and
spend, check-ins and objectives, the company itself — makes the next read fresh; the ages and the viewer's own
parts (refresh status, digest opt-in) stay live; a cached read costs session, user, membership and those two
per-viewer reads, at any data size."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import services as budget_services
from budgets.models import BudgetLine
from companies.permissions import Role
from objectives.models import KeyResult
from objectives.services import cascade as cascade_services
from reporting.services import digest as services_digest
from reporting.services import kpi as services_kpi
from reporting.services import settings as services_settings
from reporting.services import targets as services_targets
from tests.factories_board import board_scenario
from tests.reporting.board_fixtures import fake_kpis_fixture, today_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def url(company) -> str:
    return f"/c/{company.slug}/board/"


def figure(page: str, name: str) -> str:
    match = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', page, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def board(company, today, fake_kpis, make_member):
    scenario = board_scenario(company, today=today, size=1)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    executive = make_member(company, Role.EXECUTIVE)
    return {**scenario, "today": today, "fake_kpis": fake_kpis, "executive": executive}


def shown_month(today: dt.date) -> dt.date:
    """The board opens on the last complete month."""
    return today.replace(day=1) - dt.timedelta(days=1)


def _refresh(company, w):
    w["fake_kpis"].base["fake_leads"] = Decimal("500")
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=w["today"])
    value = 500 + shown_month(w["today"]).month
    return lambda page: f'data-testid="kpi-value">{value}<' in page


def _target_set(company, w):
    key = shown_month(w["today"]).strftime("%Y-%m")
    services_targets.kpi_target_set(company=company, actor=None, kpi="fake_leads", period_key=key, value=Decimal("777"))
    return lambda page: "Target 777" in page


def _settings(company, w):
    services_settings.reporting_settings_update(company=company, actor=None, qualified_stage="sql")
    return lambda page: "This company counts as qualified: Sales qualified lead" in page


def _spend(company, w):
    line = BudgetLine.objects.filter(company=company, state=BudgetLine.State.APPROVED).first()
    day = shown_month(w["today"])
    budget_services.spend_entry_create(line=line, date=day, amount=Decimal("4321.00"), actor=None)
    return lambda page: _series(page, "Actual") == [Decimal("4321")]


def _approve(company, w):
    line = BudgetLine.objects.get(company=company, state=BudgetLine.State.SUBMITTED)
    budget_services.budget_line_bind(
        line=line, key_result=KeyResult.objects.filter(company=company).first(), actor=None
    )
    budget_services.budget_line_approve(line=line, actor=w["executive"])
    # 12,000 + 3,000 a year, pro-rated to the month: more than the 12,000 alone
    return lambda page: sum(_series(page, "Planned")) > Decimal("1000")


def _series(page: str, name: str) -> list[Decimal]:
    data = json.loads(figure(page, "fig-spend") or "{}")
    return [Decimal(str(y)) for trace in data.get("data", []) if trace.get("name") == name for y in trace["y"]]


def _check_in(company, w):
    kr = KeyResult.objects.filter(company=company, title="Umsatz 0").get()
    at = dt.datetime.combine(shown_month(w["today"]), dt.time(12), tzinfo=dt.UTC)
    cascade_services.check_in_create(key_result=kr, value=Decimal("95"), confidence=Decimal("0.8"), actor=None, at=at)
    return lambda page: '<td>Marktführer Energie 0</td><td class="num">1</td><td class="num">95%</td>' in page


def _objective(company, w):
    objective = KeyResult.objects.get(company=company, title="Umsatz 0").objective
    cascade_services.objective_update(
        objective=objective, version=objective.version, title="Marktführer Wasserstoff", actor=None
    )
    return lambda page: "Marktführer Wasserstoff" in page


def _company(company, w):
    company.name = "Acme Wasserstoff"
    company.save()
    return lambda page: "Acme Wasserstoff" in figure(page, "fig-okr")


CHANGES = {
    "kpi_snapshots_refresh": _refresh,
    "kpi_target_set": _target_set,
    "reporting_settings_update": _settings,
    "spend_entry_create": _spend,
    "budget_line_approve": _approve,
    "check_in_create": _check_in,
    "objective_update": _objective,
    "the company (admin)": _company,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_makes_the_next_board_read_fresh(company, board, client_for, change):
    client = client_for(company, Role.CMO)
    before = client.get(url(company)).content.decode()
    assert client.get(url(company)).content.decode().count('data-testid="kpi-tile"') == 2  # cached, same figures
    shows = change(company, board)
    after = client.get(url(company)).content.decode()
    assert not shows(before), "the case must change what the board shows"
    assert shows(after)


def test_deleting_a_target_between_two_reads_shows_the_fallback(company, board, client_for):
    client = client_for(company, Role.CMO)
    _target_set(company, board)
    assert "Target 777" in client.get(url(company)).content.decode()
    key = shown_month(board["today"]).strftime("%Y-%m")
    services_targets.kpi_target_delete(company=company, actor=None, kpi="fake_leads", period_key=key)
    after = client.get(url(company)).content.decode()
    assert "Target 777" not in after and "Target 120" in after


def test_what_the_role_may_do_and_the_language_are_cached_apart(company, board, client_for):
    cmo = client_for(company, Role.CMO).get(url(company)).content.decode()
    facilitator = client_for(company, Role.FACILITATOR).get(url(company)).content.decode()
    german = client_for(company, Role.CMO).get(url(company), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'data-testid="refresh-now"' in cmo and 'data-testid="refresh-now"' not in facilitator
    assert "How is this computed?" in cmo and "How is this computed?" not in german


def test_the_digest_opt_in_is_the_viewers_own_on_a_cached_board(company, board, client_for):
    first = client_for(company, Role.CMO)
    second = client_for(company, Role.CMO)
    services_digest.digest_subscription_set(company=company, user=first.user, weekly=True)
    one = first.get(url(company)).content.decode()
    two = second.get(url(company)).content.decode()
    digest = re.compile(r'id="digest".*?</section>', re.S)
    assert digest.search(one).group(0) != digest.search(two).group(0)


def test_ages_stay_live_on_a_cached_board(company, board, client_for, monkeypatch):
    from django.contrib.humanize.templatetags import humanize

    client = client_for(company, Role.CMO)
    assert "computed 42\xa0minutes ago" not in client.get(url(company)).content.decode()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=42, seconds=5)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr(humanize, "datetime", Later)  # naturaltime's clock
    page = client.get(url(company)).content.decode()
    # the header and both tiles (from the stored body); naturaltime joins number and unit with a no-break space
    assert page.count("computed 42\xa0minutes ago") == 3


@pytest.mark.parametrize("size", [1, 4])
def test_a_cached_board_costs_session_membership_and_the_viewers_own_parts(company, today, fake_kpis, client_for, size):
    board_scenario(company, today=today, size=size)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    client = client_for(company, Role.EXECUTIVE)
    with CaptureQueriesContext(connection) as miss:
        first = client.get(url(company))
    with CaptureQueriesContext(connection) as hit:
        second = client.get(url(company))
    assert first.status_code == second.status_code == 200
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in hit.captured_queries]
    # session, user, membership (with its company), the refresh status, the digest opt-in and the navigation's
    # list of the user's companies: nothing of the data
    assert sorted(tables) == sorted(
        [
            "django_session",
            "auth_user",
            "companies_membership",
            "reporting_kpirefresh",
            "reporting_digestsubscription",
            "companies_company",
        ]
    )
    assert len(miss) > len(hit) + 5


@pytest.mark.postgres("a writer on its own connection holds its transaction open while the board is read")
@pytest.mark.django_db(transaction=True)
def test_a_board_read_racing_an_uncommitted_change_never_keeps_the_old_figures(company, today, fake_kpis, client_for):
    """The reader renders (and stores) the board while a target is written but not committed: it sees the old
    target. Once the writer commits, the next read has the new one — the post-commit bump moves the version past
    what the racing reader stored."""
    import threading

    from django.db import connection, transaction

    board_scenario(company, today=today, size=1)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    client = client_for(company, Role.CMO)
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def writer():
        try:
            with transaction.atomic():
                key = shown_month(today).strftime("%Y-%m")
                services_targets.kpi_target_set(
                    company=company, actor=None, kpi="fake_leads", period_key=key, value=Decimal(777)
                )
                written.set()
                release.wait(30)
        except Exception as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    during = client.get(url(company)).content.decode()
    assert "Target 777" not in during  # not committed yet: the racing read renders the old target
    release.set()
    assert done.wait(30) and not errors, errors
    thread.join()
    assert "Target 777" in client.get(url(company)).content.decode()
