"""The board KPI page: who may see it, tiles with traffic-light words, charts, refresh, export, digest opt-in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from companies.permissions import Role
from reporting.models import DigestSubscription, KpiRefresh, KpiSnapshot
from reporting.services import kpi as services_kpi
from reporting.tasks import kpi as tasks_kpi
from tests.factories_board import KpiSnapshotFactory, board_scenario
from tests.reporting.board_fixtures import active_cycle_fixture, fake_kpis_fixture, today_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def url(company, suffix: str = "") -> str:
    return f"/c/{company.slug}/board/{suffix}"


def tile(page: str, key: str) -> str:
    match = re.search(rf'<li class="kpi-tile[^"]*" data-kpi="{key}".*?</li>', page, re.S)
    assert match, f"no tile {key}"
    return re.sub(r"\s+", " ", match.group(0))


def snapshot(company, kpi="fake_leads", **kwargs):
    return KpiSnapshotFactory(company=company, kpi=kpi, **kwargs)


def month(year: int, month: int) -> dict:
    import calendar
    import datetime as dt

    return {
        "period_start": dt.date(year, month, 1),
        "period_end": dt.date(year, month, calendar.monthrange(year, month)[1]),
        "period_key": f"{year}-{month:02d}",
        "period_label": dt.date(year, month, 1).strftime("%B %Y"),
    }


# --- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.CMO, Role.FACILITATOR])
def test_board_readers_see_the_page(company, client_for, role):
    response = client_for(company, role).get(url(company))
    assert response.status_code == 200
    assert "Board KPIs" in response.content.decode()


def test_members_may_not_read_the_board_and_other_companies_do_not_exist(company, other_company, client_for):
    assert client_for(company, Role.MEMBER).get(url(company)).status_code == 403
    assert client_for(other_company, Role.EXECUTIVE).get(url(company)).status_code == 404


def test_board_is_in_the_main_navigation(company, client_for):
    page = client_for(company, Role.EXECUTIVE).get(f"/c/{company.slug}/").content.decode()
    assert f'href="/c/{company.slug}/board/" data-nav="board"' in page


# --- empty state -------------------------------------------------------------------------------------------------


def test_empty_board_explains_refresh_now_to_those_who_may(company, client_for):
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()
    assert "No KPI figures yet" in page
    assert "Use “Refresh now” to compute them right away" in page
    assert 'data-testid="refresh-now"' in page


def test_empty_board_tells_others_when_figures_will_appear(company, client_for):
    page = client_for(company, Role.FACILITATOR).get(url(company)).content.decode()
    assert "They appear after the next scheduled refresh" in page
    assert 'data-testid="refresh-now"' not in page


# --- tiles ---------------------------------------------------------------------------------------------------------


def test_tiles_show_value_target_traffic_light_word_change_and_age(company, client_for, fake_kpis):
    snapshot(company, value=Decimal("100"), target=Decimal("120"), **month(2026, 10))
    snapshot(company, value=Decimal("115"), target=Decimal("120"), **month(2026, 11))  # 95.8 % of target
    snapshot(
        company, kpi="fake_cost", unit="currency", value=Decimal("1234.5"), target=Decimal("800"), **month(2026, 11)
    )
    KpiSnapshot.objects.filter(kpi="fake_cost").update(computed_at=timezone.now() - dt.timedelta(minutes=12))
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()

    leads = tile(page, "fake_leads")
    assert "Fake qualified leads" in leads
    assert '<p class="kpi-value" data-testid="kpi-value">115</p>' in leads
    assert "Target 120" in leads
    assert ">on track</span>" in leads
    assert "+15% vs October 2026" in leads and "(improved)" in leads
    assert "computed now" in leads or "computed 0" in leads

    cost = tile(page, "fake_cost")
    assert "€1,234" in cost  # whole euros from 1,000 on
    assert "lower is better" in cost
    assert ">at risk</span>" in cost  # 800 / 1234.5 = 65 % attainment, lower is better
    assert "computed 12 minutes ago" in cost


def test_traffic_light_words_are_direction_aware(company, client_for, fake_kpis):
    snapshot(company, value=Decimal("100"), target=Decimal("120"), **month(2026, 11))  # 83 %: behind
    snapshot(company, kpi="fake_cost", unit="currency", value=Decimal("75"), target=Decimal("80"), **month(2026, 11))
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()
    assert ">behind</span>" in tile(page, "fake_leads")
    assert ">on track</span>" in tile(page, "fake_cost")  # below the target is good for a cost


def test_tile_without_target_offers_set_a_target_to_those_who_may_and_says_so_to_others(company, client_for, fake_kpis):
    snapshot(company, value=Decimal("100"), **month(2026, 11))
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()
    leads = tile(page, "fake_leads")
    assert (
        f'<a href="/c/{company.slug}/board/targets/?period=month&amp;key=2026-11#target-fake_leads" '
        'data-testid="set-target">Set a target</a>' in leads
    )
    assert "No target set" not in leads
    page = client_for(company, Role.FACILITATOR).get(url(company)).content.decode()
    assert "No target set" in tile(page, "fake_leads")
    assert ">no target</span>" in tile(page, "fake_leads")
    assert 'data-testid="set-target"' not in page


def test_german_board_uses_german_number_format_and_words(company, client_for, fake_kpis, settings):
    settings.LANGUAGE_CODE = "de"
    snapshot(
        company,
        kpi="fake_cost",
        unit="currency",
        value=Decimal("1234567.8"),
        target=Decimal("2000000"),
        **month(2026, 11),
    )
    snapshot(company, value=Decimal("1180"), target=Decimal("1000"), **month(2026, 11))
    page = client_for(company, Role.EXECUTIVE).get(url(company), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Board-KPIs" in page
    assert "1.234.567,80 €" in tile(page, "fake_cost")  # (tile() folds the no-break space)
    assert ">1.180</p>" in tile(page, "fake_leads")
    assert ">im Plan</span>" in tile(page, "fake_leads")


def test_period_switcher_shows_quarter_tiles(company, client_for, fake_kpis):
    import datetime as dt

    snapshot(company, value=Decimal("100"), **month(2026, 11))
    snapshot(
        company,
        value=Decimal("333"),
        period_kind="quarter",
        period_key="2026-Q4",
        period_label="Q4 2026",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
    )
    page = client_for(company, Role.EXECUTIVE).get(url(company, "?period=quarter")).content.decode()
    assert 'href="?period=quarter&amp;key=" aria-current="page"' in page

    assert ">333</p>" in tile(page, "fake_leads")
    assert "Q4 2026" in page


def test_a_running_period_says_how_far_it_is(company, client_for, fake_kpis):
    today = timezone.localdate()
    snapshot(company, **month(today.year, today.month))
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()
    days = month(today.year, today.month)["period_end"].day
    assert f"In progress: day {today.day} of {days}." in page


def test_no_inline_scripts_only_json_data_blocks(company, client_for, fake_kpis):
    snapshot(company, **month(2026, 11))
    page = client_for(company, Role.EXECUTIVE).get(url(company)).content.decode()
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r"\son[a-z]+=", page) is None, "no inline event handlers"
    # the tiles' trend lines are drawn by the server: SVG in the page, no figure data, no chart code for them
    assert 'id="spark-fake_leads"' not in page
    spark = re.search(r'<svg class="kpi-spark-svg"[^>]*>.*?</svg>', tile(page, "fake_leads"), re.S).group(0)
    assert 'role="img"' in spark and "aria-label=" in spark and "style=" not in spark


# --- full board with the real KPIs --------------------------------------------------------------------------------


@pytest.fixture
def full_board(company, today):
    scenario = board_scenario(company, today=today)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    return scenario


CHARTS = ["fig-funnel", "fig-attribution-u_shaped", "fig-okr", "fig-bound", "fig-spend", "fig-segments"]


def test_full_board_renders_every_kpi_tile_and_every_chart(company, client_for, full_board, today):
    from reporting.kpis import KPIS

    # The scenario's data lies in the running month: chosen explicitly (the board opens on the last complete one).
    page = client_for(company, Role.EXECUTIVE).get(url(company, f"?period=month&key={today:%Y-%m}")).content.decode()
    assert page.count('data-testid="kpi-tile"') == len(KPIS)
    for figure in CHARTS:
        assert f'data-plotly-figure="{figure}"' in page, figure
        assert f'<script type="application/json" id="{figure}">' in page
    funnel = json.loads(re.search(r'id="fig-funnel">(.*?)</script>', page).group(1))
    assert funnel["data"][0]["x"] == [3, 3, 2, 2, 2, 1]  # leads, MQL, SAL, SQL, opportunities, won
    spend = json.loads(re.search(r'id="fig-spend">(.*?)</script>', page).group(1))
    assert spend["data"][1]["y"] == [900.0]  # actual spend this month
    # the U-shaped anchors stated (no-break spaces before %)
    assert "40% to the first touch; 40% to the lead-creation touch" in page
    assert "€40,000" in tile(page, "pipeline_contribution")


def test_attribution_model_switcher_returns_the_panel_for_another_model(company, client_for, full_board, today):
    client = client_for(company, Role.EXECUTIVE)
    response = client.get(
        url(company, f"attribution/?model=time_decay&period=month&key={today:%Y-%m}"), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="time_decay" selected>' in page
    assert "half-life 7 days" in page
    figure = json.loads(re.search(r'id="fig-attribution-time_decay">(.*?)</script>', page).group(1))
    channels = dict(zip(figure["data"][0]["y"], figure["data"][0]["x"], strict=True))
    assert round(sum(channels.values())) == 40000  # every opportunity's pipeline is fully attributed
    assert set(channels) == {"SEO", "Webinare"}


def test_unknown_attribution_model_falls_back_to_u_shaped(company, client_for, full_board):
    page = client_for(company, Role.EXECUTIVE).get(url(company, "attribution/?model=nonsense")).content.decode()
    assert '<option value="u_shaped" selected>' in page


@pytest.mark.parametrize("size", [1, 4])
def test_board_query_count_does_not_grow_with_the_data(company, client_for, today, size, django_assert_max_num_queries):
    board_scenario(company, today=today, size=size)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    client = client_for(company, Role.EXECUTIVE)
    # 17: the open KPI alerts panel added one query (the same at both sizes)
    with django_assert_max_num_queries(17):
        response = client.get(url(company))
    assert response.status_code == 200
    from reporting.kpis import KPIS

    assert response.content.decode().count('data-testid="kpi-tile"') == len(KPIS)


# --- refresh now -----------------------------------------------------------------------------------------------------


def test_refresh_now_runs_and_reloads_the_page_with_htmx(
    company, client_for, fake_kpis, django_capture_on_commit_callbacks
):
    client = client_for(company, Role.EXECUTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(company, "refresh/"), {"scope": "current"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert KpiRefresh.objects.get().requested_by == client.user
    assert KpiSnapshot.objects.filter(company=company).count() >= 4
    assert 'id="refresh-status"' in response.content.decode()


def test_refresh_now_without_javascript_redirects_back_with_a_message(company, client_for, fake_kpis):
    client = client_for(company, Role.CMO)
    response = client.post(url(company, "refresh/"), follow=True)
    assert response.redirect_chain[-1][0] == url(company)
    assert (
        "The refresh has started" in response.content.decode() or "The KPIs are up to date" in response.content.decode()
    )


def test_refresh_status_polls_while_running_and_shows_progress(company, client_for):
    refresh = KpiRefresh.objects.create(company=company, status="running", started_at=timezone.now())
    services_kpi._report_progress(refresh.pk, 3, 12)
    client = client_for(company, Role.EXECUTIVE)
    page = client.get(url(company, f"refresh/{refresh.pk}/?poll=1"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "Refreshing: 3 of 12 periods computed" in page
    assert '<progress max="100" value="25"' in page
    KpiRefresh.objects.filter(pk=refresh.pk).update(status="done", finished_at=timezone.now(), snapshots_written=27)
    response = client.get(url(company, f"refresh/{refresh.pk}/?poll=1"), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()
    assert "(27 figures)" in response.content.decode()


def test_refresh_status_of_another_company_is_404(company, other_company, client_for):
    refresh = KpiRefresh.objects.create(company=other_company)
    assert client_for(company, Role.EXECUTIVE).get(url(company, f"refresh/{refresh.pk}/")).status_code == 404


def test_refresh_now_needs_the_refresh_permission(company, client_for):
    assert client_for(company, Role.FACILITATOR).post(url(company, "refresh/")).status_code == 403
    assert not KpiRefresh.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_refresh_now_says_the_queue_is_unavailable_instead_of_failing(company, client_for, monkeypatch):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks_kpi.kpi_snapshots_refresh, "apply_async", broker_down)
    client = client_for(company, Role.EXECUTIVE)
    response = client.post(url(company, "refresh/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Refresh not started." in page and "task queue is unavailable" in page
    assert 'role="alert"' in page
    response = client.post(url(company, "refresh/"), follow=True)
    assert "task queue is unavailable" in response.content.decode()
    # The page itself keeps explaining it until a refresh succeeds.
    assert "The task queue was unavailable" in client.get(url(company)).content.decode()


# --- export ----------------------------------------------------------------------------------------------------------


def test_csv_export_has_the_history_and_defuses_formulas(company, client_for, fake_kpis):
    snapshot(company, value=Decimal("100"), **month(2026, 10))
    snapshot(company, value=Decimal("-5"), **{**month(2026, 11), "period_label": '=HYPERLINK("http://x")'})
    response = client_for(company, Role.EXECUTIVE).get(url(company, "export.csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kpi-history-acme-')
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["KPI key", "KPI", "Period type"]
    assert [r[3] for r in rows[1:]] == ["October 2026", '\'=HYPERLINK("http://x")']
    assert rows[2][6] == "-5.0000"  # numbers stay numbers
    assert rows[1][1] == "Fake qualified leads"


def test_xlsx_export_opens_and_defuses_formulas(company, client_for, fake_kpis):
    from openpyxl import load_workbook

    snapshot(company, value=Decimal("100"), **{**month(2026, 11), "period_label": "@SUM(A1)"})
    response = client_for(company, Role.EXECUTIVE).get(url(company, "export.xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].value == "Fake qualified leads"
    assert sheet["D2"].value == "'@SUM(A1)"
    assert sheet["G2"].value == 100
    assert sheet["J2"].value == "no target"


def test_unknown_export_format_is_404(company, client_for):
    assert client_for(company, Role.EXECUTIVE).get(url(company, "export.pdf")).status_code == 404


def test_export_of_another_company_is_404(company, other_company, client_for):
    assert client_for(other_company, Role.EXECUTIVE).get(url(company, "export.csv")).status_code == 404


# --- digest opt-in ---------------------------------------------------------------------------------------------------


def test_digest_opt_in_and_out(company, client_for):
    client = client_for(company, Role.EXECUTIVE)
    response = client.post(url(company, "digest/"), {"weekly": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Stop the weekly e-mail" in response.content.decode()
    assert "every Monday" in json.loads(response.headers["HX-Trigger"])["okr:toast"]["message"]
    assert DigestSubscription.objects.get(user=client.user).weekly is True
    client.post(url(company, "digest/"), {"weekly": "0"})
    assert DigestSubscription.objects.get(user=client.user).weekly is False
    assert "Send me the weekly e-mail" in client.get(url(company)).content.decode()


def test_members_cannot_subscribe_to_the_digest(company, client_for):
    assert client_for(company, Role.MEMBER).post(url(company, "digest/"), {"weekly": "1"}).status_code == 403
    assert not DigestSubscription.objects.exists()
