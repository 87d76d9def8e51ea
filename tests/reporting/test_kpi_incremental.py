"""Incremental KPI refresh after CRM data changed: only the periods the changed rows touch (from the first changed
month on) are recomputed; unchanged data recomputes nothing; an import is followed by it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from companies.permissions import Role
from objectives.models import Cycle
from reporting import tasks
from reporting.models import CrmDataDigest, CrmImport, KpiSnapshot
from reporting.services.kpi_incremental import crm_month_digests, first_changed_month, kpi_snapshots_refresh_changed
from reporting.services_crm import crm_records_upsert
from tests.factories import CycleFactory
from tests.factories_reporting import LeadFactory, at
from tests.reporting.board_fixtures import fake_kpis_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 15)


@pytest.fixture
def fy2026(company):
    return CycleFactory(company=company, name="FY 2026", start_date=dt.date(2026, 1, 1),
                        end_date=dt.date(2026, 12, 31), state=Cycle.State.ACTIVE)  # fmt: skip


def computed(company) -> dict[str, dt.datetime]:
    return dict(KpiSnapshot.objects.filter(company=company, kpi="fake_leads").values_list("period_key", "computed_at"))


def test_only_the_periods_changed_rows_touch_are_recomputed(company, fake_kpis, fy2026, make_member):
    LeadFactory(company=company, external_id="L1", created=at(2026, 1, 10))
    LeadFactory(company=company, external_id="L2", created=at(2026, 4, 5), mql_at=at(2026, 4, 6))
    first = kpi_snapshots_refresh_changed(company=company, on=ON)
    cycle = f"cycle-{fy2026.pk}"
    everything = {"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-Q1", "2026-Q2", cycle}
    assert first == {"since": dt.date(2026, 1, 1), "snapshots": 2 * len(everything)}  # no digest yet: all periods
    before = computed(company)
    assert set(before) == everything

    assert kpi_snapshots_refresh_changed(company=company, on=ON) == {"since": None, "snapshots": 0}
    assert computed(company) == before  # unchanged data: nothing recomputed

    # A sync moves L2's MQL date from April to May: April (its old month) is the first one touched.
    moved = {"external_id": "L2", "created": "2026-04-05 12:00", "mql_at": "2026-05-02 09:00"}
    crm_records_upsert(company=company, kind="leads", actor=make_member(company, Role.CMO), items=[moved])
    again = kpi_snapshots_refresh_changed(company=company, on=ON)
    redone = {"2026-04", "2026-05", "2026-06", "2026-Q2", cycle}
    assert again == {"since": dt.date(2026, 4, 1), "snapshots": 2 * len(redone)}
    after = computed(company)
    assert {key for key in everything if after[key] != before[key]} == redone
    assert CrmDataDigest.objects.get(company=company).months == crm_month_digests(company)


def test_digests_change_in_the_old_and_the_new_month_of_a_moved_date(company):
    lead = LeadFactory(company=company, created=at(2026, 1, 10), mql_at=at(2026, 3, 1))
    before = crm_month_digests(company)
    assert set(before) == {"2026-01", "2026-03"}
    lead.mql_at = at(2026, 5, 1)
    lead.save()
    after = crm_month_digests(company)
    assert set(after) == {"2026-01", "2026-05"} and after["2026-01"] != before["2026-01"]
    assert first_changed_month(before, after) == dt.date(2026, 1, 1)
    assert first_changed_month(after, after) is None
    assert first_changed_month({"2026-01": 1, "2026-02": 2}, {"2026-01": 1, "2026-02": 3}) == dt.date(2026, 2, 1)


def test_a_written_import_is_followed_by_the_refresh_of_what_it_touched(company, settings, tmp_path):
    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"
    data = b"Record ID,Create Date\n1,2026-03-01 10:00\n2,2026-03-02 11:00\n"
    job = CrmImport(company=company, kind="leads", source="hubspot", original_name="k.csv", size=len(data))
    job.file.save("k.csv", ContentFile(data), save=False)
    job.save()
    assert tasks.crm_import_run(job.pk) == "done"  # the Celery task, run in-process (eager)
    digest = CrmDataDigest.objects.get(company=company)
    assert set(digest.months) == {"2026-03"}
    assert KpiSnapshot.objects.filter(company=company).exists()
