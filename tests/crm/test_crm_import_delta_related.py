"""Re-imports of opportunities and touchpoints through the PostgreSQL path (issue 16, delta speed): a row whose stored
opportunity or touchpoint holds the digest that row would write is skipped (touchpoints with and without ids);
what the lead table gives a row (its lead, the lead's marketing flag) is part of that digest; the errors, counts
and KPI periods stay those of a full import."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.models import ColumnMapping, Lead, Opportunity, Touchpoint
from crm.selectors import crm_month_digests, first_changed_month
from crm.services import column_mapping_save, crm_records_upsert
from crm.services import imports_pg_related as related_pg
from reporting.models import ReportingSettings
from tests.crm.importing import run_import
from tests.factories_crm import LeadFactory, at

pytestmark = [pytest.mark.postgres("needs PostgreSQL (the SQL path of the import)"), pytest.mark.django_db]

DEALS = "Record ID,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs,Original Traffic Source,Notiz\n"
TOUCH_COLUMNS = {"external_id": "Id", "lead_external_id": "Kontakt", "occurred": "Zeit", "channel": "Kanal",
                 "campaign": "Kampagne"}  # fmt: skip
# opportunities (HubSpot preset), touchpoints with ids, touchpoints without (generated ids)
KINDS = ["deals", "touch", "auto"]
_NAMES = itertools.count()


@pytest.fixture(autouse=True)
def leads(company):
    """L1…L40; L1, L3, ... marketing-sourced."""
    for n in range(1, 41):
        LeadFactory(company=company, external_id=f"L{n}", is_marketing_sourced=n % 2 == 1, crm_opportunity_id="")


def _mapping(company, cmo, kind: str, columns: dict | None = None) -> ColumnMapping | None:
    if kind == "deals" and columns is None:
        return None  # the HubSpot preset
    if columns is None:
        columns = {k: v for k, v in TOUCH_COLUMNS.items() if kind == "touch" or k != "external_id"}
    return column_mapping_save(company=company, name=f"M {next(_NAMES)}", actor=cmo, columns=columns,
                               kind="opportunities" if kind == "deals" else "touchpoints")  # fmt: skip


def _file(kind: str, n: int = 30, *, changed=(), note="a", extra: str = "") -> str:
    """``n`` rows, number i created / occurring in the month (i % 6) + 1 of 2026 at a time of its own, naming the
    lead L(i % 40 + 1) (deals i % 10 == 0 name none). Rows in ``changed`` carry another amount (deals) or campaign
    (touchpoints); the column "Notiz" (``note``) is not mapped."""
    lines = []
    for i in range(1, n + 1):
        when = f"2026-0{i % 6 + 1}-03 {i // 60 + 8:02d}:{i % 60:02d}"
        lead = f"L{i % 40 + 1}"
        if kind == "deals":
            amount = 2000 + i if i in changed else 1000 + i
            lines.append(f"D{i},Verhandlung,{amount},{when},,{'' if i % 10 == 0 else lead},Organic Search,{note}\n")
        else:
            campaign = "Herbst" if i in changed else "Frühjahr"
            lines.append(f"{f'T{i};' if kind == 'touch' else ''}{lead};{when};Webinar;{campaign};{note}\n")
    header = {"deals": DEALS, "touch": "Id;Kontakt;Zeit;Kanal;Kampagne;Notiz\n",
              "auto": "Kontakt;Zeit;Kanal;Kampagne;Notiz\n"}[kind]  # fmt: skip
    return header + "".join(lines) + extra


def _model(kind: str):
    return Opportunity if kind == "deals" else Touchpoint


@pytest.fixture
def run(company, cmo, monkeypatch, django_capture_on_commit_callbacks):
    """Import ``content`` (``kind``, with ``mapping`` or the kind's own); returns the job and the SQL path's outcome
    (None: the Python path ran or the SQL path rejected the file)."""
    mappings: dict[str, ColumnMapping | None] = {}

    def run(content: str, kind: str, *, mapping: ColumnMapping | None = None, date_order: str = "", python=False):
        if mapping is None:
            if kind not in mappings:
                mappings[kind] = _mapping(company, cmo, kind)
            mapping = mappings[kind]
        return run_import(related_pg, "import_related", company=company, actor=cmo, monkeypatch=monkeypatch,
                          capture=django_capture_on_commit_callbacks, content=content, mapping=mapping,
                          kind="opportunities" if kind == "deals" else "touchpoints", date_order=date_order,
                          python=python)  # fmt: skip

    return run


def _versions(company, kind: str) -> dict[str, str]:
    """Each row's version (xmin) by external id: it moves with every UPDATE of the row, whatever the values."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, xmin::text FROM {_model(kind)._meta.db_table} WHERE company_id = %s",
            [company.pk],
        )
        return dict(cursor.fetchall())


def _moved(before: dict, after: dict) -> set[str]:
    return {key for key in after if after[key] != before.get(key)}


@pytest.mark.parametrize("kind", KINDS)
def test_an_unchanged_reimport_writes_nothing_and_counts_every_row(company, run, kind):
    job, outcome = run(_file(kind), kind)
    assert (job.status, job.rows_total, job.rows_done, job.rows_created) == ("done", 30, 30, 30), job.errors
    assert outcome.unchanged == 0
    before = _versions(company, kind)
    assert len(before) == 30

    job, outcome = run(_file(kind, note="b"), kind)  # an unmapped column may change
    assert (job.status, job.rows_total, job.rows_done, job.rows_created) == ("done", 30, 30, 0), job.errors
    assert outcome.unchanged == job.rows_unchanged == 30
    assert _versions(company, kind) == before
    # The person who imported sees it on the import's page.
    client = Client()
    client.force_login(job.created_by)
    page = client.get(reverse("crm:crm_import_detail", args=[company.slug, job.pk])).content.decode()
    assert "30 rows imported (0 new, 30 unchanged, the rest updated)." in page


def test_the_command_shows_the_unchanged_rows(company, run, tmp_path, capsys):
    run(_file("deals"), "deals")
    path = tmp_path / "deals.csv"
    path.write_text(_file("deals", changed={3}, extra="D31,Verhandlung,5,2026-02-03 08:00,,,Organic Search,\n"))
    call_command("crm_import", str(path), company=company.slug, kind="opportunities", source="hubspot")
    assert "Imported 31 rows (1 new, 29 unchanged)" in capsys.readouterr().out


@pytest.mark.parametrize("kind", KINDS)
def test_exactly_the_changed_rows_are_written(company, run, kind):
    run(_file(kind, 200), kind)
    before = _versions(company, kind)
    job, outcome = run(_file(kind, 200, changed={7, 150}), kind)
    after = _versions(company, kind)
    if kind == "auto":  # another campaign is another generated id: two new touchpoints, the old ones stay
        assert (job.status, job.rows_done, job.rows_created, outcome.unchanged) == ("done", 200, 2, 198)
        assert _moved(before, after) == set(after) - set(before) and len(after) == 202
    else:
        assert (job.status, job.rows_done, job.rows_created, outcome.unchanged) == ("done", 200, 0, 198)
        prefix = "D" if kind == "deals" else "T"
        assert _moved(before, after) == {f"{prefix}7", f"{prefix}150"}
    if kind == "deals":
        amounts = dict(Opportunity.objects.values_list("external_id", "amount"))
        assert {key for key, amount in amounts.items() if amount >= 2000} == {"D7", "D150"}
    else:
        assert Touchpoint.objects.filter(campaign="Herbst").count() == 2
    # New rows are inserted beside the skipped ones
    job, outcome = run(_file(kind, 202, changed={7, 150}), kind)
    assert (job.rows_done, job.rows_created, outcome.unchanged) == (202, 2, 200)


@pytest.mark.parametrize("kind", KINDS)
def test_a_row_changed_by_another_path_is_rewritten_by_an_unchanged_reimport(company, cmo, run, kind):
    model = _model(kind)
    run(_file(kind, 10), kind)
    first, second, third = model.objects.order_by("pk")[1:4]
    if kind == "deals":
        model.objects.filter(pk=first.pk).update(stage="per ORM")  # admin, demo data
        crm_records_upsert(company=company, kind="opportunities", actor=cmo,
                           items=[{"external_id": third.external_id, "created": "2026-05-03 08:00",
                                   "amount": "7"}])  # fmt: skip
    else:
        model.objects.filter(pk=first.pk).update(channel="per ORM")
        model.objects.filter(pk=third.pk).update(campaign="per ORM")
    second.save()  # a save that changes no value still leaves the row to the next import
    changed = {first.external_id, second.external_id, third.external_id}
    assert set(model.objects.filter(import_digest=None).values_list("external_id", flat=True)) == changed
    before = _versions(company, kind)
    job, outcome = run(_file(kind, 10), kind)
    assert (job.status, job.rows_created, outcome.unchanged) == ("done", 0, 7)
    assert _moved(before, _versions(company, kind)) == changed
    if kind == "deals":
        assert set(model.objects.values_list("stage", flat=True)) == {"Verhandlung"}
        assert {int(a) for a in model.objects.values_list("amount", flat=True)} == {1000 + i for i in range(1, 11)}
    else:
        assert set(model.objects.values_list("channel", "campaign")) == {("Webinar", "Frühjahr")}
    assert not model.objects.filter(import_digest=None).exists()
    before = _versions(company, kind)
    job, outcome = run(_file(kind, 10), kind)  # written once, then skipped again
    assert outcome.unchanged == 10 and _versions(company, kind) == before


def test_a_change_of_the_lead_table_rewrites_the_deals_it_decides(company, run):
    run(_file("deals", 30), "deals")
    before = _versions(company, "deals")
    Lead.objects.filter(company=company, external_id="L4").update(is_marketing_sourced=True)  # D3 names L4
    LeadFactory(
        company=company, external_id="N20", crm_opportunity_id="D20", is_marketing_sourced=False, created=at(2026, 1, 1)
    )  # fmt: skip  (D20 names no lead: converted into it now)
    LeadFactory(company=company, external_id="N12", crm_opportunity_id="D12")  # D12 names L13, which wins
    assert Opportunity.objects.get(external_id="D3").is_marketing_sourced is False
    job, outcome = run(_file("deals", 30), "deals")
    assert (job.status, job.rows_created, outcome.unchanged) == ("done", 0, 28)
    assert _moved(before, _versions(company, "deals")) == {"D3", "D20"}
    d3, d12, d20 = (Opportunity.objects.get(external_id=x) for x in ("D3", "D12", "D20"))
    assert (d3.lead.external_id, d3.is_marketing_sourced) == ("L4", True)
    assert (d20.lead.external_id, d20.is_marketing_sourced) == ("N20", False)
    assert d12.lead.external_id == "L13"
    before = _versions(company, "deals")
    job, outcome = run(_file("deals", 30), "deals")  # the lead table as it is now: everything skipped
    assert outcome.unchanged == 30 and _versions(company, "deals") == before


@pytest.mark.parametrize("kind", ["touch", "auto"])
def test_a_renamed_or_recreated_lead_is_looked_up_again_for_its_touchpoints(company, run, kind):
    run(_file(kind, 30), kind)
    before = _versions(company, kind)
    Lead.objects.filter(company=company, external_id="L5").update(external_id="L5-alt")  # rows 4 and 44 name L5
    job, outcome = run(_file(kind, 30), kind)
    assert outcome is None and job.status == "failed"
    assert [(e["row"], e["message"]) for e in job.errors] == [(5, "No lead with id “L5”.")]
    python, _outcome = run(_file(kind, 30), kind, python=True)
    assert (job.errors, job.error_count) == (python.errors, python.error_count)
    assert _versions(company, kind) == before
    Lead.objects.filter(company=company, external_id="L5-alt").delete()  # its touchpoints go with it
    LeadFactory(company=company, external_id="L5")
    job, outcome = run(_file(kind, 30), kind)
    assert (job.status, job.rows_created, outcome.unchanged) == ("done", 1, 29)
    assert Touchpoint.objects.get(lead__external_id="L5").occurred.month == 5  # row 4


@pytest.mark.parametrize("kind", KINDS)
def test_another_mapping_date_order_source_setting_or_version_rewrites_every_row(company, cmo, run, kind,
                                                                                  monkeypatch):  # fmt: skip
    run(_file(kind, 10), kind)
    if kind == "deals":
        columns = {"external_id": "Record ID", "created": "Create Date", "amount": "Amount",
                   "stage": "Deal Stage", "lead_external_id": "Associated Contact IDs"}  # fmt: skip
    else:
        columns = {
            k: v for k, v in TOUCH_COLUMNS.items() if k != "campaign" and (kind == "touch" or k != "external_id")
        }
    mapping = _mapping(company, cmo, kind, columns)
    changes = [{"mapping": mapping}, {"date_order": "mdy"}, {"settings": ["Organic Search"]}, {"version": 2}]
    for change in changes:
        run(_file(kind, 10), kind)  # back to the kind's own digests
        before = _versions(company, kind)
        if "settings" in change:
            ReportingSettings.objects.update_or_create(company=company, defaults={"sales_sources": change["settings"]})
        if "version" in change:
            monkeypatch.setattr(related_pg, "DIGEST_VERSION", related_pg.DIGEST_VERSION + 1)
        job, outcome = run(
            _file(kind, 10), kind, mapping=change.get("mapping"), date_order=change.get("date_order", "")
        )
        assert job.status == "done", (change, job.errors)
        if "settings" in change and kind != "deals":  # the source lists decide nothing of a touchpoint
            assert outcome.unchanged == 10 and _versions(company, kind) == before
        elif "mapping" in change and kind == "auto":  # without the campaign, the generated ids are others
            assert (outcome.unchanged, job.rows_created) == (0, 10)
            assert _versions(company, kind) | before == _versions(company, kind)
            Touchpoint.objects.filter(campaign="").delete()
        else:
            assert outcome.unchanged == 0, change
            assert all(value != before[key] for key, value in _versions(company, kind).items()), change
        if "settings" in change:
            if kind == "deals":  # what the rewrite was for: the deal without a lead follows its source
                assert Opportunity.objects.get(external_id="D10").is_marketing_sourced is False
            ReportingSettings.objects.filter(company=company).update(sales_sources=[])
        monkeypatch.undo()


@pytest.mark.parametrize(
    ("kind", "extra", "error_rows"),
    [
        ("deals", "D3,Verhandlung,1003,2026-04-03 08:03,,L4,Organic Search,\n", [(12, 4)]),  # copies of one row
        ("deals", "D3,Verhandlung,5,2026-04-03 08:03,,L4,Organic Search,\n", [(12, 4)]),  # one skipped, one not
        ("deals", "D11,Verhandlung,5,2026-04-03,,,,\nD11,Verhandlung,5,2026-04-03,,,,\n", [(13, 12)]),  # new rows
        ("deals", " D3 ,Verhandlung,1003,2026-04-03 08:03,,L4,Organic Search,\n", [(12, 4)]),  # the id trimmed
        ("touch", "T3;L4;2026-04-03 08:03;Webinar;Frühjahr;\n", [(12, 4)]),
        ("touch", "T3;L4;2026-04-03 08:03;Messe;Frühjahr;\n", [(12, 4)]),
        ("auto", "L4;2026-04-03 08:03;Webinar;Frühjahr;\n", [(12, 4)]),  # the same generated id
        ("auto", "L4;03.04.2026 08:03;Webinar;Frühjahr;\n", [(12, 4)]),  # the same id from another raw row
        ("auto", "L4;2026-04-03 08:03;Webinar;Frühjahr;\n" * 2, [(12, 4), (13, 4)]),
    ],
)
def test_duplicates_among_skipped_rows_are_rejected_as_in_the_python_path(company, run, kind, extra, error_rows):
    run(_file(kind, 10), kind)
    before = _versions(company, kind)
    job, outcome = run(_file(kind, 10, extra=extra), kind)
    assert outcome is None and job.status == "failed"  # rejected: nothing was written
    assert [(e["row"], int(e["message"].split("row ")[1].rstrip(")."))) for e in job.errors] == error_rows
    assert "appears more than once in the file" in job.errors[0]["message"]
    assert _versions(company, kind) == before
    python, _outcome = run(_file(kind, 10, extra=extra), kind, python=True)
    assert (job.errors, job.error_count) == (python.errors, python.error_count)
    assert _versions(company, kind) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_rejected_reimport_changes_nothing(company, run, kind):
    run(_file(kind, 10), kind)
    before = _versions(company, kind)
    bad = (
        "D11,Verhandlung,5,gestern,,,,\n" if kind == "deals" else f"{'T11;' if kind == 'touch' else ''}L1;gestern;W;;\n"
    )
    job, _outcome = run(_file(kind, 10, changed={5}, extra=bad), kind)
    assert job.status == "failed" and [e["row"] for e in job.errors] == [12]
    python, _python = run(_file(kind, 10, changed={5}, extra=bad), kind, python=True)
    assert (job.errors, job.error_count) == (python.errors, python.error_count)
    assert _versions(company, kind) == before


@pytest.mark.parametrize("kind", KINDS)
def test_kpi_periods_an_unchanged_or_one_percent_reimport_touches(company, run, kind):
    run(_file(kind, 200), kind)
    first = crm_month_digests(company)
    run(_file(kind, 200, note="b"), kind)
    assert first_changed_month(first, crm_month_digests(company)) is None  # unchanged: no period to recompute
    run(_file(kind, 200, changed={10, 40}), kind)  # in May (10 % 6 = 4) and May (40 % 6 = 4)
    now = crm_month_digests(company)
    assert {month for month in now if now[month] != first.get(month)} == {"2026-05"}
    assert first_changed_month(first, now) == dt.date(2026, 5, 1)
