"""Re-imports through the PostgreSQL path (issue 16, delta speed): a row whose digest is the one its lead was last
written with is skipped, whatever path changed other leads since; the errors, counts and KPI periods stay those of
a full import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.models import ColumnMapping, CrmImport, Lead
from crm.selectors import crm_month_digests, first_changed_month
from crm.services import column_mapping_save, crm_records_upsert
from crm.services import imports_pg as crm_import_pg
from reporting.models import ReportingSettings
from tests.crm.importing import run_import
from tests.crm.test_crm_import_pg import HUBSPOT

pytestmark = [pytest.mark.postgres("needs PostgreSQL (the SQL path of the import)"), pytest.mark.django_db]


def _file(n: int = 30, *, changed=(), first_name="Anna", extra: str = "") -> str:
    """``n`` HubSpot contacts, ids 1…n, created in the month (i % 6) + 1 of 2026; rows in ``changed`` carry another
    industry (a mapped column), ``first_name`` is not mapped."""
    lines = []
    for i in range(1, n + 1):
        industry = "Energie" if i in changed else "Industrie"
        lines.append(f"{i},{first_name},2026-0{i % 6 + 1}-03 08:00,lead,Organic Search,camp,{industry},,,,,\n")
    return HUBSPOT + "".join(lines) + extra


@pytest.fixture
def run(company, cmo, monkeypatch, django_capture_on_commit_callbacks):
    """Import ``content`` as a HubSpot file (or with ``mapping``); returns the job and the SQL path's outcome
    (None: the Python path ran)."""

    def run(content: str, *, mapping: ColumnMapping | None = None, date_order: str = "", python=False):
        return run_import(crm_import_pg, "import_leads", company=company, actor=cmo, monkeypatch=monkeypatch,
                          capture=django_capture_on_commit_callbacks, content=content, kind="leads", mapping=mapping,
                          date_order=date_order, python=python, name="leads.csv")  # fmt: skip

    return run


def _versions(company) -> dict[str, str]:
    """Each lead's row version (xmin): it moves with every UPDATE of the row, whatever the values."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT external_id, xmin::text FROM crm_lead WHERE company_id = %s", [company.pk])
        return dict(cursor.fetchall())


def test_an_unchanged_reimport_writes_nothing_and_counts_every_row(company, run):
    job, outcome = run(_file())
    assert (job.status, job.rows_total, job.rows_done, job.rows_created) == ("done", 30, 30, 30)
    assert outcome.unchanged == 0
    before = _versions(company)

    job, outcome = run(_file(first_name="Berta"))  # an unmapped column may change
    assert (job.status, job.rows_total, job.rows_done, job.rows_created) == ("done", 30, 30, 0)
    assert outcome.unchanged == job.rows_unchanged == 30
    assert _versions(company) == before
    # The person who imported sees it on the import's page.
    client = Client()
    client.force_login(job.created_by)
    page = client.get(reverse("crm:crm_import_detail", args=[company.slug, job.pk])).content.decode()
    assert "30 rows imported (0 new, 30 unchanged, the rest updated)." in page


def test_exactly_the_changed_rows_are_written(company, run):
    run(_file(200))
    before = _versions(company)
    job, outcome = run(_file(200, changed={7, 150}))
    assert (job.status, job.rows_done, job.rows_created, outcome.unchanged) == ("done", 200, 0, 198)
    after = _versions(company)
    assert {key for key in after if after[key] != before[key]} == {"7", "150"}
    segments = dict(Lead.objects.filter(company=company).values_list("external_id", "segment"))
    assert {key for key, segment in segments.items() if segment == "Energie"} == {"7", "150"}
    # New rows are inserted beside the skipped ones
    job, outcome = run(_file(202, changed={7, 150}))
    assert (job.rows_done, job.rows_created, outcome.unchanged) == (202, 2, 200)


def test_a_lead_changed_by_another_path_is_rewritten_by_an_unchanged_reimport(company, cmo, run):
    run(_file(10))
    Lead.objects.filter(company=company, external_id="2").update(segment="per ORM")  # admin, SLA pages, demo
    lead = Lead.objects.get(company=company, external_id="3")
    lead.save()  # a save that changes no value still leaves the lead to the next import
    crm_records_upsert(company=company, kind="leads", actor=cmo,
                       items=[{"external_id": "4", "created": "2026-05-03 08:00", "segment": "per API"}])  # fmt: skip
    assert set(Lead.objects.filter(company=company, import_digest=None).values_list("external_id", flat=True)) == {
        "2",
        "3",
        "4",
    }
    before = _versions(company)
    job, outcome = run(_file(10))
    assert (job.status, outcome.unchanged) == ("done", 7)
    after = _versions(company)
    assert {key for key in after if after[key] != before[key]} == {"2", "3", "4"}
    assert set(Lead.objects.filter(company=company).values_list("segment", flat=True)) == {"Industrie"}
    assert not Lead.objects.filter(company=company, import_digest=None).exists()


def test_another_mapping_date_order_source_setting_or_version_rewrites_every_row(company, cmo, run, monkeypatch):
    run(_file(10))
    mapping = column_mapping_save(company=company, name="HubSpot", kind="leads", actor=cmo,
                                  columns={"external_id": "Record ID", "created": "Create Date",
                                           "segment": "Industry", "channel": "Original Traffic Source"})  # fmt: skip
    changes = [
        {"mapping": mapping},
        {"date_order": "mdy"},
        {"settings": ["Organic Search"]},
        {"version": crm_import_pg.DIGEST_VERSION + 1},
    ]
    for change in changes:
        run(_file(10))  # back to the HubSpot preset's digests
        before = _versions(company)
        if "settings" in change:
            ReportingSettings.objects.update_or_create(company=company, defaults={"sales_sources": change["settings"]})
        if "version" in change:
            monkeypatch.setattr(crm_import_pg, "DIGEST_VERSION", change["version"])
        job, outcome = run(_file(10), mapping=change.get("mapping"), date_order=change.get("date_order", ""))
        assert (job.status, outcome.unchanged) == ("done", 0), change
        after = _versions(company)
        assert all(after[key] != before[key] for key in before), change
        if "settings" in change:  # the setting is what the rewrite was for
            assert not Lead.objects.filter(company=company, is_marketing_sourced=True).exists()
            job, outcome = run(_file(10))
            assert outcome.unchanged == 10
            ReportingSettings.objects.filter(company=company).update(sales_sources=[])
        monkeypatch.undo()


@pytest.mark.parametrize(
    ("extra", "error_rows"),
    [
        ("3,Anna,2026-04-03 08:00,lead,Organic Search,camp,Industrie,,,,,\n", [(12, 4)]),  # copies of one row
        ("3,Anna,2026-04-03 08:00,lead,Organic Search,camp,Energie,,,,,\n", [(12, 4)]),  # one skipped, one not
        ("11,Anna,2026-04-03 08:00,lead,,,,,,,,\n11,Anna,2026-04-03 08:00,lead,,,,,,,,\n", [(13, 12)]),  # new rows
        (" 3 ,Anna,2026-04-03 08:00,lead,Organic Search,camp,Industrie,,,,,\n", [(12, 4)]),  # the same id trimmed
    ],
)
def test_duplicates_among_skipped_rows_are_rejected_as_in_the_python_path(company, run, extra, error_rows):
    run(_file(10))
    before = _versions(company)
    job, outcome = run(_file(10, extra=extra))
    assert outcome is None and job.status == "failed"  # rejected: nothing was written
    assert [(e["row"], int(e["message"].split("row ")[1].rstrip(").")) if "row " in e["message"] else None)
            for e in job.errors] == error_rows  # fmt: skip
    assert _versions(company) == before
    python, _outcome = run(_file(10, extra=extra), python=True)
    assert (job.errors, job.error_count) == (python.errors, python.error_count)
    assert "appears more than once in the file" in job.errors[0]["message"]
    assert _versions(company) == before


def test_a_rejected_reimport_changes_nothing(company, run):
    run(_file(10))
    before = _versions(company)
    job, _outcome = run(_file(10, changed={5}, extra="11,Anna,gestern,lead,,,,,,,,\n"))
    assert job.status == "failed" and [e["row"] for e in job.errors] == [12]
    assert _versions(company) == before


def _months(company) -> dict[str, int]:
    return crm_month_digests(company)


def test_kpi_periods_an_unchanged_or_one_percent_reimport_touches(company, run):
    run(_file(200))
    first = _months(company)
    run(_file(200, first_name="Berta"))
    assert first_changed_month(first, _months(company)) is None  # unchanged: no period to recompute
    run(_file(200, changed={10, 40}))  # created in May (10 % 6 = 4) and May (40 % 6 = 4)
    now = _months(company)
    assert {month for month in now if now[month] != first[month]} == {"2026-05"}
    assert first_changed_month(first, now) == dt.date(2026, 5, 1)


def test_a_reimport_with_a_field_too_long_for_the_csv_module_goes_to_the_python_path(company, run):
    """On a re-import the check for fields Python's csv module refuses rides along the join: the file still goes to
    the Python path, which names the row, and nothing is written."""
    run(_file(5))
    before = _versions(company)
    job, outcome = run(_file(5, extra=f"6,Anna,2026-03-03 08:00,lead,Direct,camp,{'I' * 131073},,,,,\n"))
    assert outcome is None  # the SQL path handed the file over
    assert job.status == CrmImport.Status.FAILED
    assert job.errors[0]["row"] == 7
    assert "cannot be read as CSV" in job.errors[0]["message"]
    assert _versions(company) == before


def test_a_first_load_inserts_plainly_and_falls_back_to_the_upsert_when_another_writer_came_first(
    company, run, monkeypatch
):
    """A company's first load inserts without looking for conflicts; should leads with the same ids have arrived in
    between (a connector's sync), the unique key refuses the insert and the upsert writes the file instead: no
    duplicate, no failed import."""
    job, outcome = run(_file(4))
    assert outcome is not None and job.status == CrmImport.Status.DONE and job.rows_created == 4
    Lead.objects.filter(company=company, external_id="2").update(segment="Synced")
    monkeypatch.setattr(crm_import_pg, "_first_load", lambda cursor, company_id: True)  # as if it raced the sync
    job, outcome = run(_file(6, changed={2}))
    assert outcome is not None and job.status == CrmImport.Status.DONE, job.errors
    assert job.rows_created == 2
    assert Lead.objects.filter(company=company).count() == 6
    assert Lead.objects.get(company=company, external_id="2").segment == "Energie"
