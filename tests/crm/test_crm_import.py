"""CSV imports: HubSpot and Salesforce shapes, saved mappings, re-import without change, broken files rejected
whole with row/column errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from companies.permissions import Role
from core.errors import PermissionDenied
from crm.models import ColumnMapping, CrmImport, Lead, Opportunity, Touchpoint
from crm.reader import parse_datetime, parse_decimal
from crm.services import column_mapping_save, crm_import_create, crm_import_progress
from tests.factories_crm import LeadFactory, at

pytestmark = pytest.mark.django_db

HUBSPOT_CONTACTS = """Record ID,First Name,Create Date,Lifecycle Stage,Original Traffic Source,Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date,Became an Opportunity Date,Became a Customer Date,Industry
101,Anna,2026-03-04 10:22,customer,ORGANIC_SEARCH,2026-03-05 09:00,2026-03-10 11:00,2026-03-12 08:30,2026-04-01 16:00,Stadtwerke
102,Jörg,2026-03-06 14:00,marketingqualifiedlead,PAID_SOCIAL,2026-03-07 10:00,,,,Industrie
103,Eva,2026-03-07 08:00,lead,Direct,,,,,Wohnungswirtschaft
"""  # noqa: E501

HUBSPOT_DEALS = """Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs,Original Traffic Source
9001,Stadtwerk Nord,closedwon,"120000,50",2026-03-12 08:30,2026-04-01 16:00,101;555,ORGANIC_SEARCH
9002,Industrie Süd,appointmentscheduled,45000,2026-03-20 09:00,2026-06-30 00:00,,Direct
9003,Verloren,Closed Lost,"1.500,00",2026-03-21 09:00,2026-03-25,102,PAID_SOCIAL
"""  # noqa: E501

SALESFORCE_LEADS = """Id;CreatedDate;LeadSource;Status;IsConverted;ConvertedDate;ConvertedOpportunityId;Industry
00Q1;2026-03-04T10:22:00.000+0000;Webinar;Closed - Converted;true;2026-03-20;006A;Energy
00Q2;2026-03-05T08:00:00.000+0000;Trade Show;Working - Contacted;false;;;Utilities
"""

SALESFORCE_OPPS = """Id,CreatedDate,Amount,CloseDate,StageName,IsClosed,IsWon,LeadSource
006A,2026-03-20T09:00:00.000+0000,80000,2026-03-20,Closed Won,true,true,Webinar
006B,2026-03-22T09:00:00.000+0000,30000,2026-09-30,Prospecting,false,false,Partner
"""


def run_import(company, actor, content, *, kind, source, mapping=None, name="export.csv", capture=None):
    data = content.encode("utf-8") if isinstance(content, str) else content
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    with capture(execute=True):
        job = crm_import_create(company=company, kind=kind, source=source, uploaded_file=upload, actor=actor,
                                mapping=mapping)  # fmt: skip
    job.refresh_from_db()
    return job


@pytest.fixture
def imp(company, cmo, django_capture_on_commit_callbacks):
    def _imp(content, **kwargs):
        return run_import(company, cmo, content, capture=django_capture_on_commit_callbacks, **kwargs)

    return _imp


def snapshot(model):
    return sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]))


def test_hubspot_contacts_and_deals(company, imp):
    job = imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert (job.rows_total, job.rows_done, job.rows_created) == (3, 3, 3)
    assert job.encoding == "utf-8-sig"
    anna = Lead.objects.get(company=company, external_id="101")
    assert anna.created == at(2026, 3, 4, 10, 22)
    assert anna.mql_at == at(2026, 3, 5, 9)
    assert anna.customer_at == at(2026, 4, 1, 16)
    assert (anna.channel, anna.segment, anna.lifecycle_stage) == ("ORGANIC_SEARCH", "Stadtwerke", "customer")
    assert anna.is_marketing_sourced is True
    assert Lead.objects.get(external_id="103").is_marketing_sourced is False  # "Direct" is a sales source
    assert not job.file  # the upload is removed once read

    job = imp(HUBSPOT_DEALS, kind="opportunities", source="hubspot")
    assert job.status == CrmImport.Status.DONE, job.errors
    won = Opportunity.objects.get(external_id="9001")
    assert won.amount == Decimal("120000.50")  # decimal comma
    assert won.status == Opportunity.Status.WON and won.closed == at(2026, 4, 1, 16)
    assert won.lead == anna  # first of the associated contact ids
    assert won.is_marketing_sourced is True
    open_deal = Opportunity.objects.get(external_id="9002")
    assert open_deal.status == Opportunity.Status.OPEN
    assert open_deal.closed is None  # an open deal's close date is only expected
    assert open_deal.lead is None and open_deal.is_marketing_sourced is False
    lost = Opportunity.objects.get(external_id="9003")
    assert lost.status == Opportunity.Status.LOST and lost.amount == Decimal("1500.00")  # "1.500,00"


def test_salesforce_leads_and_opportunities_link_both_ways(company, imp):
    # opportunities first: the lead that converted into 006A is not there yet
    job = imp(SALESFORCE_OPPS, kind="opportunities", source="salesforce")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Opportunity.objects.get(external_id="006A").lead is None
    job = imp(SALESFORCE_LEADS, kind="leads", source="salesforce")
    assert job.status == CrmImport.Status.DONE, job.errors
    lead = Lead.objects.get(external_id="00Q1")
    assert lead.created == dt.datetime(2026, 3, 4, 10, 22, tzinfo=dt.UTC)
    assert lead.sql_at == at(2026, 3, 20, 0) and lead.opportunity_at == at(2026, 3, 20, 0)  # converted
    assert lead.crm_opportunity_id == "006A" and lead.segment == "Energy"
    assert Lead.objects.get(external_id="00Q2").sql_at is None
    opportunity = Opportunity.objects.get(external_id="006A")
    assert opportunity.lead == lead  # linked after the lead import
    assert opportunity.status == Opportunity.Status.WON
    # close *date* on the creation day: clamped to the creation time, not rejected
    assert opportunity.closed == opportunity.created
    assert Opportunity.objects.get(external_id="006B").status == Opportunity.Status.OPEN
    # re-importing the opportunities keeps the link (found through ConvertedOpportunityId)
    imp(SALESFORCE_OPPS, kind="opportunities", source="salesforce")
    assert Opportunity.objects.get(external_id="006A").lead == lead


def test_reimporting_the_same_file_changes_nothing(company, imp):
    imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    imp(HUBSPOT_DEALS, kind="opportunities", source="hubspot")
    leads, opportunities = snapshot(Lead), snapshot(Opportunity)
    again = imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    assert (again.rows_done, again.rows_created) == (3, 0)
    again = imp(HUBSPOT_DEALS, kind="opportunities", source="hubspot")
    assert (again.rows_done, again.rows_created) == (3, 0)
    assert snapshot(Lead) == leads
    assert snapshot(Opportunity) == opportunities


def test_an_update_changes_only_the_rows_and_fields_in_the_file(company, imp):
    imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    changed = HUBSPOT_CONTACTS.replace("marketingqualifiedlead,PAID_SOCIAL", "salesqualifiedlead,PAID_SOCIAL")
    job = imp(changed, kind="leads", source="hubspot")
    assert (job.rows_done, job.rows_created) == (3, 0)
    assert Lead.objects.get(external_id="102").lifecycle_stage == "salesqualifiedlead"
    assert Lead.objects.count() == 3


def test_windows_1252_file_with_semicolons(company, imp):
    content = "Record ID;Create Date;Industry;Original Traffic Source\r\n7;04.03.2026;Müller Stadtwerke;Messe\r\n"
    job = imp(content.encode("cp1252"), kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert job.encoding == "cp1252"
    lead = Lead.objects.get(external_id="7")
    assert lead.segment == "Müller Stadtwerke"
    assert lead.created == at(2026, 3, 4, 0)


def errors_of(job):
    return {(e["row"], e["column"]) for e in job.errors}


def test_broken_file_is_rejected_whole_with_row_and_column(company, imp):
    LeadFactory(company=company, external_id="101", segment="unchanged")
    content = HUBSPOT_CONTACTS + (
        "104,Max,31.02.2026,lead,SEO,,,,,Industrie\n"  # impossible date, row 5
        "105,Ute,2026-03-08,lead,SEO,gestern,,,,Industrie\n"  # bad MQL date, row 6
        "102,Dup,2026-03-08,lead,SEO,,,,,Industrie\n"  # duplicated id, row 7
        ",NoId,2026-03-08,lead,SEO,,,,,Industrie\n"  # missing id, row 8
    )
    job = imp(content, kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.FAILED
    assert errors_of(job) == {
        (5, "Create Date"),
        (6, "Became a Marketing Qualified Lead Date"),
        (7, "Record ID"),
        (8, "Record ID"),
    }
    assert job.error_count == 4
    messages = " ".join(e["message"] for e in job.errors)
    assert "more than once" in messages and "gestern" in messages
    # nothing written, nothing changed
    assert list(Lead.objects.values_list("external_id", "segment")) == [("101", "unchanged")]


def test_bad_numbers_and_missing_close_dates(company, imp):
    content = (
        "Record ID,Deal Stage,Amount,Create Date,Close Date\n"
        "1,closedwon,12a,2026-03-01,2026-03-05\n"  # row 2: amount
        "2,closedwon,100,2026-03-01,\n"  # row 3: won without close date
        "3,closedlost,100,2026-03-10,2026-03-01\n"  # row 4: closed before created
        "4,closedwon,-5,2026-03-01,2026-03-05\n"  # row 5: negative
    )
    job = imp(content, kind="opportunities", source="hubspot")
    assert job.status == CrmImport.Status.FAILED
    assert errors_of(job) == {(2, "Amount"), (3, "Close Date"), (4, "Close Date"), (5, "Amount")}
    assert Opportunity.objects.count() == 0


def test_missing_columns_are_reported_against_the_header(company, imp):
    job = imp("Name,Create Date\nAnna,2026-03-01\n", kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.FAILED
    assert errors_of(job) == {(1, "Record ID")}
    assert "missing" in job.errors[0]["message"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Record ID,Create Date\n1,2026-03-01\n".encode("utf-16"), "UTF-16"),
        (b"Record ID,Create Date\n1,2026-03-01\n2,\x81\x8d\n", "neither UTF-8 nor Windows-1252"),
        (b"Record ID,Create Date\n", "no data rows"),
    ],
)
def test_unreadable_files(company, imp, content, reason):
    job = imp(content, kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.FAILED
    assert reason in job.errors[0]["message"]
    assert Lead.objects.count() == 0


def test_saved_mapping_for_other_crms_and_touchpoints(company, cmo, imp):
    mapping = column_mapping_save(company=company, name="Pipedrive Personen", kind="leads", actor=cmo,
                                  columns={"external_id": "Person ID", "created": "Angelegt", "segment": "Branche",
                                           "channel": "Quelle", "mql_at": "MQL seit"})  # fmt: skip
    job = imp("Person ID,Angelegt,Branche,Quelle,MQL seit\nP1,2026-03-01 09:00,Industrie,Webinar,02.03.2026\n",
              kind="leads", source="custom", mapping=mapping)  # fmt: skip
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Lead.objects.get(external_id="P1").mql_at == at(2026, 3, 2, 0)

    touch_mapping = column_mapping_save(company=company, name="Touches", kind="touchpoints", actor=cmo,
                                        columns={"lead_external_id": "Lead", "occurred": "Zeit", "channel": "Kanal",
                                                 "campaign": "Kampagne"})  # fmt: skip
    content = "Lead,Zeit,Kanal,Kampagne\nP1,2026-02-20 10:00,SEO,blog\nP1,2026-02-25 10:00,Webinare,web-1\n"
    job = imp(content, kind="touchpoints", source="custom", mapping=touch_mapping)
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Touchpoint.objects.filter(lead__external_id="P1").count() == 2
    before = snapshot(Touchpoint)
    imp(content, kind="touchpoints", source="custom", mapping=touch_mapping)
    assert snapshot(Touchpoint) == before  # derived ids make touchpoints idempotent too
    job = imp("Lead,Zeit,Kanal,Kampagne\nNOPE,2026-02-20 10:00,SEO,\n", kind="touchpoints", source="custom",
              mapping=touch_mapping)  # fmt: skip
    assert errors_of(job) == {(2, "Lead")}


def test_mapping_needs_required_fields_and_unique_names(company, cmo):
    with pytest.raises(ValidationError) as exc:
        column_mapping_save(company=company, name="X", kind="opportunities", columns={"external_id": "Id"}, actor=cmo)
    assert set(exc.value.message_dict) == {"created", "amount"}
    column_mapping_save(company=company, name="X", kind="leads", columns={"external_id": "a", "created": "b"},
                        actor=cmo)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        column_mapping_save(company=company, name="X", kind="leads", columns={"external_id": "a", "created": "b"},
                            actor=cmo)  # fmt: skip
    assert "name" in exc.value.message_dict
    assert ColumnMapping.objects.count() == 1


def test_create_refuses_big_files_wrong_mapping_and_roles(company, other_company, cmo, make_member, settings):
    settings.CRM_IMPORT_MAX_BYTES = 10
    upload = SimpleUploadedFile("big.csv", b"x" * 11)
    with pytest.raises(ValidationError) as exc:
        crm_import_create(company=company, kind="leads", source="hubspot", uploaded_file=upload, actor=cmo)
    assert "limit" in exc.value.message_dict["file"][0]
    foreign = ColumnMapping.objects.create(company=other_company, name="F", kind="leads", columns={})
    with pytest.raises(ValidationError) as exc:
        crm_import_create(company=company, kind="leads", source="custom", mapping=foreign, actor=cmo,
                          uploaded_file=SimpleUploadedFile("a.csv", b"a"))  # fmt: skip
    assert "mapping" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        crm_import_create(company=company, kind="leads", source="hubspot", actor=make_member(company, Role.EXECUTIVE),
                          uploaded_file=SimpleUploadedFile("a.csv", b"a"))  # fmt: skip
    assert CrmImport.objects.count() == 0


def test_the_task_is_idempotent(company, imp):
    from crm.tasks import crm_import_run

    job = imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    assert crm_import_run.delay(job.pk).get() is None  # already done: nothing happens
    assert crm_import_progress(job)["percent"] == 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04", at(2026, 3, 4, 0)),
        ("2026-03-04 10:22", at(2026, 3, 4, 10, 22)),
        ("04.03.2026", at(2026, 3, 4, 0)),
        ("4.3.2026 10:22", at(2026, 3, 4, 10, 22)),
        ("2026-03-04T10:22:00Z", dt.datetime(2026, 3, 4, 10, 22, tzinfo=dt.UTC)),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("€ 12 000", "12000"),
        ("250000", "250000"),
        ("0.5", "0.5"),
    ],
)
def test_numbers(text, expected):
    assert parse_decimal(text) == Decimal(expected)


def test_duplicates_are_found_across_batches(company, imp, monkeypatch):
    from crm.reader import files as crm_files

    monkeypatch.setattr(crm_files, "BATCH_SIZE", 2)  # ids are checked against earlier batches on disk
    rows = "".join(f"{i},2026-03-01\n" for i in [1, 2, 3, 4, 5, 2, 6, 7, 1])
    job = imp("Record ID,Create Date\n" + rows, kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.FAILED
    assert [(e["row"], e["message"]) for e in job.errors] == [
        (7, "The id “2” appears more than once in the file (first in row 3)."),
        (10, "The id “1” appears more than once in the file (first in row 2)."),
    ]


def test_an_abandoned_import_is_taken_over_after_the_stale_timeout(company, imp):
    from django.utils import timezone

    from crm.services import crm_import_run
    from crm.services.imports import STALE_CLAIM

    job = imp(HUBSPOT_CONTACTS, kind="leads", source="hubspot")
    Lead.objects.all().delete()
    path = CrmImport.objects.get(pk=job.pk)
    # simulate a worker that died while writing: a fresh claim is left alone, an old one is taken over
    upload = SimpleUploadedFile("again.csv", HUBSPOT_CONTACTS.encode())
    path.file.save("again.csv", upload, save=False)
    CrmImport.objects.filter(pk=job.pk).update(status="writing", started_at=timezone.now(), file=path.file.name)
    assert crm_import_run(import_id=job.pk) is None
    CrmImport.objects.filter(pk=job.pk).update(started_at=timezone.now() - STALE_CLAIM - dt.timedelta(minutes=1))
    assert crm_import_run(import_id=job.pk).status == CrmImport.Status.DONE
    assert Lead.objects.count() == 3


def test_utf8_with_byte_order_mark_as_excel_writes_it(company, imp):
    content = "\ufeffRecord ID;Create Date;Industry\r\n8;2026-03-04 10:22;Wärme & Wohnen\r\n"
    job = imp(content.encode("utf-8"), kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Lead.objects.get(external_id="8").segment == "Wärme & Wohnen"


def test_headers_match_ignoring_case_and_older_names(company, imp):
    job = imp("contact id,CREATE  DATE,industry\n9,2026-03-04,Industrie\n", kind="leads", source="hubspot")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Lead.objects.get(external_id="9").segment == "Industrie"


def test_management_command_imports_and_reports_errors(company, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    good = tmp_path / "contacts.csv"
    good.write_text(HUBSPOT_CONTACTS, encoding="utf-8")
    call_command("crm_import", str(good), company="acme", kind="leads", source="hubspot")
    assert "Imported 3 rows (3 new, 0 unchanged)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("Record ID,Create Date\n1,gestern\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 error"):
        call_command("crm_import", str(bad), company="acme", kind="leads", source="hubspot")
    assert "row 2 column Create Date" in capsys.readouterr().err
    with pytest.raises(CommandError, match="No company"):
        call_command("crm_import", str(good), company="nope", kind="leads", source="hubspot")
