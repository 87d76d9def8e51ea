"""KPI targets per period: set per cycle and derived (pro-rated for sums and counts, unchanged for rates), set per
period directly, the board settings page, the API, permissions and history. Figures hand-computed in comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.permissions import Role
from core.errors import PermissionDenied
from history.models import ChangeRecord
from objectives.models import Cycle
from reporting import targets
from reporting.models import KpiTarget
from reporting.periods import parse_period_key
from reporting.services import targets as services_targets
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_board import KpiSnapshotFactory
from tests.factories_reporting import KpiBindingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fy(company):
    return CycleFactory(
        company=company,
        name="FY 2026",
        kind=Cycle.Kind.YEAR,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        state=Cycle.State.ACTIVE,
    )


@pytest.fixture
def q1(company, fy):
    return CycleFactory(
        company=company,
        name="Q1 2026",
        kind=Cycle.Kind.QUARTER,
        parent=fy,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        state=Cycle.State.ACTIVE,
    )


def resolve(company, key: str, period_key: str):
    return targets.TargetBook(company).for_period(key, parse_period_key(company=company, key=period_key))


def put(company, kpi, period_key, value):
    return services_targets.kpi_target_set(company=company, actor=None, kpi=kpi, period_key=period_key, value=value)


# --- resolution --------------------------------------------------------------------------------------------------


def test_a_sum_kpis_cycle_target_is_pro_rated_by_days_to_months_and_quarters(company, fy):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")
    march = resolve(company, "pipeline_contribution", "2026-03")
    assert (march.value, march.source, march.cycle_name) == (Decimal("31000.00"), "derived", "FY 2026")  # ×31/365
    assert resolve(company, "pipeline_contribution", "2026-02").value == Decimal("28000.00")  # × 28/365
    assert resolve(company, "pipeline_contribution", "2026-Q1").value == Decimal("90000.00")  # × 90/365
    cycle = resolve(company, "pipeline_contribution", f"cycle-{fy.pk}")
    assert (cycle.value, cycle.source) == (Decimal("365000"), "cycle")


def test_a_rate_keeps_the_cycle_target_in_every_period(company, fy):
    put(company, "funnel_conversion", f"cycle-{fy.pk}", "12.5")
    for key in ("2026-03", "2026-Q4", f"cycle-{fy.pk}"):
        assert resolve(company, "funnel_conversion", key).value == Decimal("12.5")


def test_the_most_specific_cycle_with_a_target_wins(company, fy, q1):
    put(company, "qualified_leads_focus_segments", f"cycle-{fy.pk}", "1095")
    assert resolve(company, "qualified_leads_focus_segments", "2026-03").value == Decimal("93.00")  # 1095 × 31/365
    put(company, "qualified_leads_focus_segments", f"cycle-{q1.pk}", "300")
    march = resolve(company, "qualified_leads_focus_segments", "2026-03")
    assert (march.value, march.cycle_name) == (Decimal("103.33"), "Q1 2026")  # 300 × 31/90 = 103.333…
    assert resolve(company, "qualified_leads_focus_segments", "2026-04").value == Decimal("90.00")  # FY: × 30/365


def test_a_target_set_for_the_period_overrides_the_derived_one(company, fy):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")
    put(company, "pipeline_contribution", "2026-12", "60000")  # the December push
    december = resolve(company, "pipeline_contribution", "2026-12")
    assert (december.value, december.source) == (Decimal("60000"), "period")
    assert resolve(company, "pipeline_contribution", "2026-11").value == Decimal("30000.00")  # still derived


def test_without_a_set_target_the_bound_key_results_target_is_the_cycle_target(company, fy):
    objective = ObjectiveFactory(company=company, cycle=fy)
    kr = KeyResultFactory(objective=objective, target_value=Decimal("1460"))
    KpiBindingFactory(key_result=kr, kpi_key="qualified_leads_focus_segments")
    cycle = resolve(company, "qualified_leads_focus_segments", f"cycle-{fy.pk}")
    assert (cycle.value, cycle.source) == (Decimal("1460"), "key_result")
    assert resolve(company, "qualified_leads_focus_segments", "2026-03").value == Decimal("124.00")  # 1460 × 31/365
    put(company, "qualified_leads_focus_segments", f"cycle-{fy.pk}", "730")  # a set target wins over the binding
    assert resolve(company, "qualified_leads_focus_segments", "2026-03").value == Decimal("62.00")


def test_no_cycle_and_no_target_means_no_target(company):
    assert resolve(company, "pipeline_contribution", "2026-03") is None


def test_a_running_sum_is_compared_with_its_target_to_date_and_a_rate_with_its_target():
    # 31,000 for March, on 10 March: 31000 × 10/31 = 10,000
    assert targets.target_to_date(
        Decimal("31000"),
        key="pipeline_contribution",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        through=dt.date(2026, 3, 10),
    ) == Decimal("10000.00")
    assert targets.target_to_date(
        Decimal("12.5"),
        key="funnel_conversion",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        through=dt.date(2026, 3, 10),
    ) == Decimal("12.5")


def test_resolving_targets_takes_two_queries_whatever_their_number(company, fy, django_assert_num_queries):
    for month in range(1, 13):
        put(company, "pipeline_contribution", f"2026-{month:02d}", "1000")
    with django_assert_num_queries(2):
        book = targets.TargetBook(company)
    for month in range(1, 13):
        assert book.for_period("pipeline_contribution", parse_period_key(company=company, key=f"2026-{month:02d}"))


# --- writing: validation, permission, history ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi", "period_key", "value", "field", "message"),
    [
        ("nonsense", "2026-03", "1", "kpi", "Unknown KPI “nonsense”."),
        ("pipeline_contribution", "2026-13", "1", "period", "Unknown period “2026-13”"),
        ("pipeline_contribution", "cycle-999999", "1", "period", "Unknown period “cycle-999999”"),
        ("pipeline_contribution", "2026-03", "-5", "value", "cannot be negative"),
        ("pipeline_contribution", "2026-03", "NaN", "value", "Enter a number"),
        ("pipeline_contribution", "2026-03", "abc", "value", "Enter a number"),
        ("pipeline_contribution", "2026-03", "1e13", "value", "too large"),
        ("funnel_conversion", "2026-03", "1.23456", "value", "at most four decimal places"),
    ],
)
def test_bad_targets_are_refused_with_field_and_reason_and_nothing_is_saved(
    company, fy, kpi, period_key, value, field, message
):
    with pytest.raises(ValidationError) as caught:
        put(company, kpi, period_key, value)
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not KpiTarget.objects.exists()


def test_a_negative_target_is_fine_for_a_growth_rate(company, fy):
    put(company, "active_initiatives_vs_previous", f"cycle-{fy.pk}", "-20")
    assert resolve(company, "active_initiatives_vs_previous", "2026-05").value == Decimal("-20")


def test_another_companys_cycle_is_an_unknown_period(company, other_company):
    theirs = CycleFactory(company=other_company, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    with pytest.raises(ValidationError):
        put(company, "pipeline_contribution", f"cycle-{theirs.pk}", "1")


def test_only_cmo_and_executive_may_set_targets(company, fy, make_member):
    for role in (Role.FACILITATOR, Role.MEMBER):
        with pytest.raises(PermissionDenied):
            services_targets.kpi_target_set(
                company=company,
                actor=make_member(company, role),
                kpi="pipeline_contribution",
                period_key="2026-03",
                value="1",
            )
    for role in (Role.CMO, Role.EXECUTIVE):
        services_targets.kpi_target_set(
            company=company,
            actor=make_member(company, role),
            kpi="pipeline_contribution",
            period_key="2026-03",
            value="1",
        )


def test_changes_of_a_target_are_in_the_history(company, fy, client_for):
    client = client_for(company, Role.EXECUTIVE)
    client.post(f"/c/{company.slug}/board/targets/", {"key": "2026-03", "target-pipeline_contribution": "30000"})
    client.post(f"/c/{company.slug}/board/targets/", {"key": "2026-03", "target-pipeline_contribution": "35000"})
    records = list(ChangeRecord.objects.filter(company=company, content_type__model="kpitarget").order_by("id"))
    assert [r.action for r in records] == ["created", "updated"]
    assert records[1].changes["value"] == ["30000", "35000"]
    assert records[1].actor_id == client.user.pk
    assert records[1].object_label == "pipeline_contribution 2026-03"


# --- the settings page --------------------------------------------------------------------------------------------


def page_url(company, query: str = "") -> str:
    return f"/c/{company.slug}/board/targets/{query}"


def test_the_targets_page_shows_derived_targets_and_lets_executives_edit(company, fy, client_for):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")
    page = client_for(company, Role.EXECUTIVE).get(page_url(company, "?key=2026-03")).content.decode()
    assert "KPI targets: March 2026" in page
    assert "€31,000" in page and "derived from the cycle target: FY 2026" in page
    assert 'name="target-pipeline_contribution"' in page


def test_board_readers_without_the_right_see_targets_but_no_inputs(company, fy, client_for):
    response = client_for(company, Role.FACILITATOR).get(page_url(company, f"?key=cycle-{fy.pk}"))
    assert response.status_code == 200
    assert 'name="target-pipeline_contribution"' not in response.content.decode()
    posted = client_for(company, Role.FACILITATOR).post(
        page_url(company), {"key": "2026-03", "target-pipeline_contribution": "1"}
    )
    assert posted.status_code == 403
    assert not KpiTarget.objects.exists()


def test_members_get_403_and_other_companies_404(company, other_company, client_for):
    assert client_for(company, Role.MEMBER).get(page_url(company)).status_code == 403
    assert client_for(other_company, Role.EXECUTIVE).get(page_url(company)).status_code == 404


def test_an_unknown_period_on_the_page_is_404(company, client_for):
    assert client_for(company, Role.EXECUTIVE).get(page_url(company, "?key=2026-99")).status_code == 404


def test_german_input_is_read_as_german_and_saved(company, fy, client_for):
    client = client_for(company, Role.CMO)
    response = client.post(
        page_url(company), {"key": "2026-03", "target-pipeline_contribution": "31.250,5"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 302
    assert KpiTarget.objects.get(kpi="pipeline_contribution").value == Decimal("31250.5")


def test_targets_read_numbers_as_every_other_form_does(company, fy, client_for):
    """The targets form parses with core.numbers like the budget form: an amount typed with its currency sign and
    grouping reads as a number; English grouping in German is refused."""
    client = client_for(company, Role.CMO)
    response = client.post(
        page_url(company),
        {"key": "2026-03", "target-pipeline_contribution": "1.234.567,89 €", "target-funnel_conversion": "12,5"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 302
    assert dict(KpiTarget.objects.values_list("kpi", "value")) == {
        "pipeline_contribution": Decimal("1234567.89"),
        "funnel_conversion": Decimal("12.5"),
    }
    response = client.post(
        page_url(company), {"key": "2026-03", "target-pipeline_contribution": "4,500.50"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    assert KpiTarget.objects.get(kpi="pipeline_contribution").value == Decimal("1234567.89")


def test_one_bad_value_saves_nothing_and_says_which_field_and_why(company, fy, client_for):
    put(company, "funnel_conversion", "2026-03", "10")
    response = client_for(company, Role.EXECUTIVE).post(
        page_url(company),
        {"key": "2026-03", "target-pipeline_contribution": "30000", "target-cost_per_qualified_lead": "viel"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in page
    assert 'id="error-cost_per_qualified_lead" role="alert">Enter a number as written in your language' in page
    assert 'value="viel"' in page
    # neither the good value nor the removal of the emptied funnel target happened
    assert list(KpiTarget.objects.values_list("kpi", "value")) == [("funnel_conversion", Decimal("10"))]


def test_an_emptied_field_removes_the_set_target_so_the_derived_one_applies(company, fy, client_for):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")
    put(company, "pipeline_contribution", "2026-03", "50000")
    client_for(company, Role.EXECUTIVE).post(page_url(company), {"key": "2026-03", "target-pipeline_contribution": ""})
    assert resolve(company, "pipeline_contribution", "2026-03").value == Decimal("31000.00")


# --- the board tile compares like with like -----------------------------------------------------------------------


def test_a_month_tile_compares_with_the_months_share_of_the_cycle_target(company, fy, client_for):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")  # March: 31,000
    KpiSnapshotFactory(
        company=company,
        kpi="pipeline_contribution",
        unit="currency",
        period_key="2026-03",
        period_label="März 2026",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        value=Decimal("29450"),
        target=Decimal("365000"),
    )
    page = client_for(company, Role.EXECUTIVE).get(f"/c/{company.slug}/board/?period=month&key=2026-03").content
    tile = page.decode().split('data-kpi="pipeline_contribution"')[1].split("</li>")[0]
    assert "Target €31,000" in tile  # not the cycle's 365,000 the snapshot carried
    assert ">on track</span>" in tile  # 29,450 ÷ 31,000 = 95 %


# --- API ------------------------------------------------------------------------------------------------------------


def api(company, suffix: str = "") -> str:
    return f"/api/v1/companies/{company.slug}/kpi-targets/{suffix}"


def test_api_sets_lists_resolves_and_deletes_targets(company, fy, api_client_for):
    client = api_client_for(company, Role.CMO)
    response = client.post(
        api(company), {"kpi": "pipeline_contribution", "period_key": f"cycle-{fy.pk}", "value": "365000"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["period_kind"] == "cycle"
    listed = client.get(api(company), {"resolve": "2026-03"}).json()
    assert [t["kpi"] for t in listed["targets"]] == ["pipeline_contribution"]
    march = next(r for r in listed["resolved"] if r["kpi"] == "pipeline_contribution")
    assert (march["value"], march["source"]) == ("31000.0000", "derived")
    assert next(r for r in listed["resolved"] if r["kpi"] == "funnel_conversion")["value"] is None
    assert client.delete(api(company, f"pipeline_contribution/cycle-{fy.pk}/")).status_code == 204
    assert client.delete(api(company, f"pipeline_contribution/cycle-{fy.pk}/")).status_code == 404
    assert not KpiTarget.objects.exists()


def test_api_refuses_bad_targets_with_the_field(company, fy, api_client_for):
    client = api_client_for(company, Role.EXECUTIVE)
    bad_kpi = client.post(api(company), {"kpi": "x", "period_key": "2026-03", "value": "1"}, format="json")
    assert bad_kpi.status_code == 400 and "kpi" in bad_kpi.json()
    bad_period = client.post(
        api(company), {"kpi": "pipeline_contribution", "period_key": "March", "value": "1"}, format="json"
    )
    assert bad_period.status_code == 400 and "period" in bad_period.json()
    negative = client.post(
        api(company), {"kpi": "pipeline_contribution", "period_key": "2026-03", "value": "-1"}, format="json"
    )
    assert negative.status_code == 400 and "value" in negative.json()
    assert client.get(api(company), {"resolve": "soon"}).status_code == 400
    assert not KpiTarget.objects.exists()


def test_api_roles_and_tenancy(company, other_company, fy, api_client_for):
    body = {"kpi": "pipeline_contribution", "period_key": "2026-03", "value": "1"}
    assert api_client_for(company, Role.FACILITATOR).get(api(company)).status_code == 200
    assert api_client_for(company, Role.FACILITATOR).post(api(company), body, format="json").status_code == 403
    assert api_client_for(company, Role.MEMBER).get(api(company)).status_code == 403
    assert api_client_for(other_company, Role.EXECUTIVE).post(api(company), body, format="json").status_code == 404


def test_the_targets_api_is_in_the_openapi_schema(company, api_client_for):
    schema = api_client_for(company, Role.EXECUTIVE).get("/api/schema/", {"format": "json"})
    paths = schema.json()["paths"] if schema.status_code == 200 else {}
    assert "/api/v1/companies/{company_slug}/kpi-targets/" in paths
    assert "post" in paths["/api/v1/companies/{company_slug}/kpi-targets/"]
    assert "/api/v1/companies/{company_slug}/kpi-targets/{kpi}/{period_key}/" in paths


def test_kpi_api_serves_a_chosen_period_with_its_derived_target(company, fy, api_client_for):
    put(company, "pipeline_contribution", f"cycle-{fy.pk}", "365000")
    for month, value in ((2, "25000"), (3, "29450")):
        start = dt.date(2026, month, 1)
        end = dt.date(2026, month + 1, 1) - dt.timedelta(days=1)
        KpiSnapshotFactory(company=company, kpi="pipeline_contribution", unit="currency",
                           period_key=f"2026-{month:02d}", period_start=start, period_end=end,
                           value=Decimal(value))  # fmt: skip
    client = api_client_for(company, Role.FACILITATOR)
    rows = client.get("/api/v1/companies/acme/kpis/", {"period": "month", "period_key": "2026-02"}).json()
    february = next(r for r in rows if r["key"] == "pipeline_contribution")
    # 365000 × 28/365 = 28000; 25000 ÷ 28000 = 89 %: behind
    assert (february["target"], february["target_source"], february["status"]) == ("28000.0000", "derived", "behind")
    assert february["period_label"] == "February 2026" and february["data_through"] is None
