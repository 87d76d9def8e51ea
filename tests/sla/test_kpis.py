"""The board KPIs of the handover: SLA compliance and the median MQL → SAL response time, against the fixture of
tests/sla/fixtures.py (May 2026), with targets and key-result bindings like every other KPI, in constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from companies.permissions import Role
from reporting.formatting import format_kpi_value
from reporting.kpis import KPIS, compute_kpis, kpi_auto_check_ins
from reporting.periods import period_for
from reporting.services.targets import kpi_target_set
from sla.services import sla_rule_update
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_reporting import KpiBindingFactory, LeadFactory

from .fixtures import berlin, handover_leads

pytestmark = pytest.mark.django_db
KEYS = ["sla_compliance", "mql_response_hours"]


def may(company):
    return period_for(company=company, kind="month", on=dt.date(2026, 5, 1))


def test_compliance_and_median_response_of_may(company):
    handover_leads(company)
    results = {r.key: r for r in compute_kpis(company=company, period=may(company), keys=KEYS)}
    # MQL rule 2 met + 2 breached, SAL rule 1 + 1 -> 3 of 6
    assert results["sla_compliance"].value == Decimal("50.00")
    assert results["sla_compliance"].breakdown["mql_response_breached"] == 2
    assert results["sla_compliance"].breakdown["sal_first_contact_met"] == 1
    # answered MQLs took 2.5, 25 and 3 working hours
    assert results["mql_response_hours"].value == Decimal("3.00")
    assert results["mql_response_hours"].breakdown == {"answered": 3, "unanswered": 1}
    assert KPIS["mql_response_hours"].higher_is_better is False


def test_an_inactive_rule_leaves_the_compliance(company, make_member):
    handover_leads(company)
    sla_rule_update(company=company, actor=make_member(company, Role.CMO), kind="sal_first_contact",
                    is_active=False, hours=48, target_percent=Decimal("90"))  # fmt: skip
    result = compute_kpis(company=company, period=may(company), keys=["sla_compliance"])[0]
    assert result.value == Decimal("50.00")  # 2 of 4 MQLs
    assert result.breakdown["met"] == 2 and result.breakdown["breached"] == 2


def test_no_cases_no_value(company):
    results = compute_kpis(company=company, period=may(company), keys=KEYS)
    assert [r.value for r in results] == [None, None]


def test_targets_and_key_result_bindings_work_like_for_every_kpi(company, make_member):
    handover_leads(company)
    cmo = make_member(company, Role.CMO)
    kpi_target_set(company=company, actor=cmo, kpi="sla_compliance", period_key="2026-05", value=Decimal("90"))
    result = compute_kpis(company=company, period=may(company), keys=["sla_compliance"])[0]
    assert result.target == Decimal("90")
    cycle = CycleFactory(company=company, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    kr = KeyResultFactory(objective=ObjectiveFactory(company=company, cycle=cycle), kind="decrease_to",
                          target_value=Decimal("8"), start_value=Decimal("24"))  # fmt: skip
    KpiBindingFactory(company=company, key_result=kr, kpi_key="mql_response_hours")
    results = compute_kpis(company=company, period=may(company), keys=["mql_response_hours"])
    assert results[0].target == Decimal("8")
    assert kpi_auto_check_ins(company=company, results=results) == 1
    kr.refresh_from_db()
    assert kr.current_value == Decimal("3.0000")


def test_hours_are_shown_as_working_hours():
    assert format_kpi_value(Decimal("3.00"), "hours", language="en") == "3 working hours"
    with translation.override("de"):
        assert format_kpi_value(Decimal("2.5"), "hours", language="de") == "2,5 Arbeitsstunden"
    assert format_kpi_value(Decimal("1"), "hours", language="en") == "1 working hour"
    assert format_kpi_value(Decimal("31.4"), "hours", language="en") == "31 working hours"


def test_query_count_does_not_grow_with_the_leads(company, django_assert_max_num_queries):
    handover_leads(company)
    with django_assert_max_num_queries(20) as small:
        compute_kpis(company=company, period=may(company), keys=KEYS)
    for i in range(30):
        LeadFactory(company=company, external_id=f"more{i}", mql_at=berlin(2026, 5, 5 + i % 20, 10),
                    sal_at=berlin(2026, 5, 5 + i % 20, 15))  # fmt: skip
    with django_assert_max_num_queries(len(small.captured_queries)):
        compute_kpis(company=company, period=may(company), keys=KEYS)
