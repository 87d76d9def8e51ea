"""SLA measurement against the hand-computed fixture of tests/sla/fixtures.py: compliance per rule and month, the
median answer time, open breaches with how long they are overdue, the lead volume, the rejection feedback, and the
rule and calendar settings through their services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.permissions import Role
from core.errors import PermissionDenied
from sla import selectors
from sla.models import SlaCalendar, SlaRule
from sla.services import sla_calendar_update, sla_rule_update
from tests.factories_crm import LeadFactory

from .fixtures import AT, berlin, handover_leads

pytestmark = pytest.mark.django_db


def may(company):
    return selectors.clock_summary(company, start=berlin(2026, 5, 1), end=berlin(2026, 6, 1), at=AT)


def test_mql_and_sal_compliance_and_median(company):
    handover_leads(company)
    summary = may(company)
    mql = summary[SlaRule.Kind.MQL_RESPONSE]["tally"]
    assert (mql.met, mql.breached, mql.pending) == (2, 2, 0)
    assert mql.percent == Decimal("50.00")
    assert sorted(mql.hours) == [2.5, 3.0, 25.0]
    assert mql.median_hours == Decimal("3.00")
    sal = summary[SlaRule.Kind.SAL_FIRST_CONTACT]["tally"]
    assert (sal.met, sal.breached, sal.pending) == (1, 1, 0)
    assert sal.hours == [2.5]


def test_a_running_clock_within_its_deadline_is_pending_not_breached(company):
    handover_leads(company)
    june = selectors.clock_summary(company, start=berlin(2026, 6, 1), end=berlin(2026, 7, 1), at=AT)
    tally = june[SlaRule.Kind.MQL_RESPONSE]["tally"]
    assert (tally.met, tally.breached, tally.pending, tally.percent) == (0, 0, 1, None)


def test_open_breaches_with_owner_and_working_hours_overdue(company):
    handover_leads(company)
    breaches = selectors.open_breaches(company, at=AT)
    assert [(b.external_id, b.owner, b.rule_kind, b.hours_overdue) for b in breaches] == [
        ("M4", "Ben Vertrieb", "mql_response", Decimal("59.0")),
        ("M1", "Anna Vertrieb", "sal_first_contact", Decimal("41.5")),
    ]
    assert breaches[0].deadline == berlin(2026, 5, 29, 17)
    assert breaches[1].deadline == berlin(2026, 6, 3, 10, 30)
    assert selectors.open_breaches(company, at=AT, limit=1)[0].external_id == "M4"
    # the clock of M4 started more than 10 days before: outside a 10-day window
    assert [b.external_id for b in selectors.open_breaches(company, at=AT, since=AT - dt.timedelta(days=10))] == []


def test_an_inactive_rule_has_no_breaches_and_no_row(company, make_member):
    handover_leads(company)
    cmo = make_member(company, Role.CMO)
    sla_rule_update(company=company, actor=cmo, kind="sal_first_contact", is_active=False, hours=48,
                    target_percent=Decimal("90"))  # fmt: skip
    assert [b.external_id for b in selectors.open_breaches(company, at=AT)] == ["M4"]
    table = selectors.compliance_table(company, at=AT)
    assert [row.rule.kind for row in table["rows"]] == ["mql_response", "lead_volume"]


def test_compliance_table_per_month(company):
    handover_leads(company)
    table = selectors.compliance_table(company, at=AT, months=6)
    assert [m.key for m in table["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    rows = {row.rule.kind: row for row in table["rows"]}
    may_mql = rows["mql_response"].cells[4]
    assert may_mql.percent == Decimal("50.00")
    assert rows["mql_response"].meets_target(may_mql) is False  # target 90 %
    assert rows["mql_response"].cells[5].tally.pending == 1
    assert rows["sal_first_contact"].cells[4].percent == Decimal("50.00")
    assert rows["mql_response"].cells[0].percent is None  # no cases in January


def test_lead_volume_per_focus_segment(company, make_member):
    handover_leads(company)
    sla_rule_update(company=company, actor=make_member(company, Role.FACILITATOR), kind="lead_volume",
                    is_active=True, monthly_leads=2, target_percent=Decimal("100"))  # fmt: skip
    table = selectors.compliance_table(company, at=AT, months=6)
    volume = next(row for row in table["rows"] if row.rule.kind == "lead_volume")
    cell = volume.cells[4]
    assert cell.segments == {"Stadtwerke": 3, "Industrie": 1}
    assert cell.segments_met == 1 and cell.percent == Decimal("50.00")
    assert volume.cells[5].running and volume.cells[5].percent is None  # June is not over at AT


def test_rejection_feedback_reason_mix(company):
    handover_leads(company)
    data = selectors.rejection_feedback(company, start=berlin(2026, 5, 1), end=berlin(2026, 6, 1))
    assert data["total"] == 3
    assert [(r["rejection_reason"], r["n"], r["rejected"], r["recycled"]) for r in data["mix"]] == [
        ("Kein Budget", 2, 2, 1),
        ("", 1, 0, 1),
    ]
    assert data["mix"][0]["percent"] == Decimal("66.7")
    assert [row["external_id"] for row in data["leads"]] == ["R2", "R1", "M2"]  # latest first


def test_another_companys_leads_never_count(company, other_company):
    handover_leads(company)
    LeadFactory(company=other_company, external_id="X1", mql_at=berlin(2026, 5, 4, 9))
    assert may(other_company)[SlaRule.Kind.MQL_RESPONSE]["tally"].breached == 1
    assert may(company)[SlaRule.Kind.MQL_RESPONSE]["tally"].breached == 2
    assert [b.external_id for b in selectors.open_breaches(other_company, at=AT)] == ["X1"]
    assert "X1" not in [b.external_id for b in selectors.open_breaches(company, at=AT)]


def test_unsaved_rules_are_the_defaults(company):
    rules = selectors.sla_rules(company)
    assert [(r.kind, r.hours, r.monthly_leads, r.pk) for r in rules] == [
        ("mql_response", 24, None, None),
        ("sal_first_contact", 48, None, None),
        ("lead_volume", None, 20, None),
    ]
    assert not SlaRule.objects.exists()


def test_calendar_service_checks_region_and_role(company, make_member):
    cmo = make_member(company, Role.CMO)
    saved = sla_calendar_update(company=company, actor=cmo, time_zone="Europe/Vienna", country="at",
                                subdivision="9", day_start=dt.time(8), day_end=dt.time(16))  # fmt: skip
    assert (saved.country, saved.subdivision, saved.time_zone) == ("AT", "9", "Europe/Vienna")
    with pytest.raises(ValidationError) as exc:
        sla_calendar_update(company=company, actor=cmo, time_zone="Europe/Berlin", country="DE", subdivision="XX",
                            day_start=dt.time(8), day_end=dt.time(16))  # fmt: skip
    assert "subdivision" in exc.value.message_dict
    with pytest.raises(ValidationError):
        sla_calendar_update(company=company, actor=cmo, time_zone="Mars/Olympus", country="DE", subdivision="",
                            day_start=dt.time(8), day_end=dt.time(16))  # fmt: skip
    with pytest.raises(ValidationError):
        sla_calendar_update(company=company, actor=cmo, time_zone="Europe/Berlin", country="DE", subdivision="",
                            day_start=dt.time(17), day_end=dt.time(9))  # fmt: skip
    with pytest.raises(PermissionDenied):
        sla_calendar_update(company=company, actor=make_member(company, Role.EXECUTIVE), time_zone="Europe/Berlin",
                            country="DE", subdivision="", day_start=dt.time(8), day_end=dt.time(16))  # fmt: skip
    assert SlaCalendar.objects.get(company=company).time_zone == "Europe/Vienna"


def test_rule_service_keeps_the_measure_of_its_kind(company, make_member):
    facilitator = make_member(company, Role.FACILITATOR)
    rule = sla_rule_update(company=company, actor=facilitator, kind="mql_response", is_active=True, hours=8,
                           monthly_leads=5, target_percent=Decimal("95"))  # fmt: skip
    assert (rule.hours, rule.monthly_leads, rule.target_percent) == (8, None, Decimal("95"))
    with pytest.raises(ValidationError):
        sla_rule_update(company=company, actor=facilitator, kind="mql_response", is_active=True, hours=8,
                        target_percent=Decimal("120"))  # fmt: skip
    with pytest.raises(ValidationError):
        sla_rule_update(company=company, actor=facilitator, kind="lead_volume", is_active=True,
                        target_percent=Decimal("90"))  # fmt: skip
    with pytest.raises(PermissionDenied):
        sla_rule_update(company=company, actor=make_member(company, Role.MEMBER), kind="mql_response",
                        is_active=True, hours=8, target_percent=Decimal("90"))  # fmt: skip
