"""Real CRM exports through the import wizard, one file per way HubSpot, Salesforce and Excel write them (the files
in crm_exports/, written by crm_exports/write_exports.py): each is recognised, previewed and imported into the
rows a person expects, or the wizard asks a clear question. Nothing is written before the confirmation."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from companies.permissions import Role
from crm.models import ColumnMapping, CrmImport, Lead, Opportunity
from crm.wizard import build_preview

pytestmark = pytest.mark.django_db

EXPORTS = Path(__file__).parent / "crm_exports"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def cmo_client(company, client_for):
    return client_for(company, Role.CMO)


def base(company):
    return f"/c/{company.slug}/board/import/"


def upload(client, company, name, kind):
    """Upload a file as the page does (CRM detected from the file); returns the draft import and the wizard."""
    file = SimpleUploadedFile(name, (EXPORTS / name).read_bytes())
    response = client.post(base(company), {"kind": kind, "source": "auto", "file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = CrmImport.objects.filter(company=company).latest("pk")
    assert job.status == CrmImport.Status.DRAFT
    wizard = client.get(response["Location"])
    assert wizard.status_code == 200
    return job, wizard.content.decode()


def proposed(job) -> dict[str, str]:
    """The wizard's selects as proposed (what a person who changes nothing sends)."""
    preview = build_preview(job=job)
    return {f"column-{i}": preview.field_of.get(h, "") for i, h in enumerate(preview.header)}


def confirm(client, company, job, capture, data=None, **extra):
    with capture(execute=True):
        response = client.post(f"{base(company)}{job.pk}/confirm/", {**(data or proposed(job)), **extra})
    job.refresh_from_db()
    return response


def at(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def test_hubspot_contacts_german_ui(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "hubspot_contacts_de.csv", "leads")
    assert "Recognised as: <strong>HubSpot export</strong>." in html and "3 data rows." in html
    assert 'data-testid="wizard-warnings"' not in html  # every expected column is there
    assert Lead.objects.count() == 0
    assert confirm(cmo_client, company, job, django_capture_on_commit_callbacks).status_code == 302
    assert job.status == CrmImport.Status.DONE, job.errors
    leads = {lead.external_id: lead for lead in Lead.objects.filter(company=company)}
    assert set(leads) == {"51", "52", "53"}
    assert leads["51"].created == at(2026, 1, 12, 9, 14) and leads["51"].mql_at == at(2026, 1, 14, 10, 0)
    assert (leads["51"].channel, leads["51"].campaign, leads["51"].segment) == (
        "Organische Suche",
        "google",
        "Stadtwerke",
    )
    assert leads["52"].campaign == "LinkedIn Kampagne „Wärmewende“" and leads["52"].mql_at is None
    assert leads["53"].channel == "Offline Sources" and not leads["53"].is_marketing_sourced
    assert leads["51"].is_marketing_sourced and leads["51"].lifecycle_stage == "Marketing-qualifizierter Lead"


def test_hubspot_contacts_with_the_old_labels_get_their_channels(
    company, cmo_client, django_capture_on_commit_callbacks
):
    job, html = upload(cmo_client, company, "hubspot_contacts_old_labels.csv", "leads")
    assert "HubSpot export" in html and "No column for the channel" not in html
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    rows = dict(Lead.objects.values_list("external_id", "channel"))
    assert rows == {"701": "Organic Search", "702": "Paid Search", "703": "Direct Traffic"}
    assert Lead.objects.get(external_id="702").campaign == "Brand campaign"


def test_hubspot_file_resaved_by_us_excel_reads_month_first(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "hubspot_contacts_us_excel.csv", "leads")
    assert 'data-testid="date-order"' not in html  # 1/13/2026 decides: no question
    assert "12 Jan 2026 09:14" in html  # the sample row as it will be read
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    lead = Lead.objects.get(external_id="9001")
    assert lead.created == at(2026, 1, 12, 9, 14) and lead.mql_at == at(2026, 1, 13, 8, 0)
    assert Lead.objects.get(external_id="9002").created == at(2026, 2, 3, 14, 5)
    assert Lead.objects.get(external_id="9003").created == at(2026, 3, 1)
    assert not Lead.objects.get(external_id="9003").is_marketing_sourced  # OFFLINE


def test_ambiguous_dates_make_the_wizard_ask(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "hubspot_contacts_us_excel_ambiguous.csv", "leads")
    assert "How does this file write dates?" in html
    assert "“1/12/2026 9:14” (row 2, column “Create Date”) can be read either way" in html
    assert "Choose how the file writes its dates (day first or month first)." in html
    refused = confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and job.status == CrmImport.Status.DRAFT and Lead.objects.count() == 0
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks, date_order="mdy")
    assert job.status == CrmImport.Status.DONE, job.errors
    assert Lead.objects.get(external_id="9101").created == at(2026, 1, 12, 9, 14)
    assert Lead.objects.get(external_id="9102").created == at(2026, 2, 3, 14, 5)


def test_day_first_answer_reads_the_same_file_the_other_way(company, cmo_client, django_capture_on_commit_callbacks):
    job, _html = upload(cmo_client, company, "hubspot_contacts_us_excel_ambiguous.csv", "leads")
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks, date_order="dmy")
    assert job.status == CrmImport.Status.DONE and job.date_order == "dmy"
    assert Lead.objects.get(external_id="9101").created == at(2026, 12, 1, 9, 14)


def test_salesforce_reports_link_leads_and_opportunities(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "salesforce_leads_report_en.csv", "leads")
    assert "Recognised as: <strong>Salesforce export</strong>." in html
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    carla = Lead.objects.get(external_id="00Q5g00000AbCdE")
    assert (carla.channel, carla.crm_opportunity_id, carla.created) == ("Web", "0065g00000XyZ01", at(2026, 1, 20))
    assert carla.sql_at == at(2026, 2, 3) and carla.opportunity_at == at(2026, 2, 3)  # converted on 2/3/2026
    assert not Lead.objects.get(external_id="00Q5g00000AbCdF").is_marketing_sourced  # Partner Referral

    job, html = upload(cmo_client, company, "salesforce_opportunities_report_en.csv", "opportunities")
    assert "Salesforce export" in html and 'data-testid="wizard-warnings"' not in html
    assert "Won" in html and "Lost" in html  # the sample rows show the status they will get
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    deals = {o.external_id: o for o in Opportunity.objects.select_related("lead")}
    won, lost, open_ = deals["0065g00000XyZ01"], deals["0065g00000XyZ02"], deals["0065g00000XyZ03"]
    assert (won.status, won.amount, won.closed, won.created) == ("won", Decimal("80000.00"), at(2026, 2, 28),
                                                                 at(2026, 2, 3, 9, 14))  # fmt: skip
    assert (lost.status, lost.created, lost.closed) == ("lost", at(2026, 2, 13, 16, 30), at(2026, 3, 2))
    assert (open_.status, open_.closed, open_.amount) == ("open", None, Decimal("12500.50"))
    assert won.lead.external_id == "00Q5g00000AbCdE" and lost.lead.external_id == "00Q5g00000AbCdF"
    assert won.is_marketing_sourced and not lost.is_marketing_sourced and open_.lead is None
    assert (won.lead_source, open_.lead_source) == ("Web", "Trade Show")


def test_salesforce_report_with_german_labels(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "salesforce_opportunities_report_de.csv", "opportunities")
    assert "Salesforce export" in html
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    speicher = Opportunity.objects.get(external_id="0065g00000DeU01")
    assert (speicher.status, speicher.amount, speicher.closed) == ("won", Decimal("45000.00"), at(2026, 2, 27))
    assert speicher.created == at(2026, 2, 3, 9, 14) and speicher.lead_source == "Web"
    pv = Opportunity.objects.get(external_id="0065g00000DeU02")
    assert (pv.status, pv.amount, pv.stage) == ("open", Decimal("8250.50"), "Qualification")


def test_salesforce_formatted_report_xlsx_starts_at_its_header_row(
    company, cmo_client, django_capture_on_commit_callbacks
):
    """Salesforce's "Formatted Report" export: the report's name and filters above the table, the table from column
    B, the grand total, confidentiality and copyright lines below it."""
    job, html = upload(cmo_client, company, "salesforce_opportunities_formatted.xlsx", "opportunities")
    assert job.source == "salesforce" and job.header_row == 6
    assert "Salesforce export" in html and "3 data rows." in html
    samples = html.split('data-testid="wizard-samples"')[1]
    for title in ("Opportunities Q1 2026", "Filtered By", "Grand Totals", "Confidential", "Copyright"):
        assert title not in samples
    # the sample rows carry the spreadsheet's row numbers (header in row 6: data from row 7)
    assert '<td class="num">7</td>' in samples and '<td class="num">9</td>' in samples
    assert "Stadtwerke West" not in samples.split('<td class="num">7</td>')[0]
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    assert job.rows_done == 3
    deals = {o.external_id: o for o in Opportunity.objects.filter(company=company)}
    assert set(deals) == {"0065g00000FoR01", "0065g00000FoR02", "0065g00000FoR03"}
    won, lost, open_ = deals["0065g00000FoR01"], deals["0065g00000FoR02"], deals["0065g00000FoR03"]
    assert (won.status, won.amount, won.closed, won.created) == ("won", Decimal("64000.00"), at(2026, 3, 12, 0),
                                                                 at(2026, 1, 19, 10, 5))  # fmt: skip
    assert (lost.status, lost.amount, lost.lead_source) == ("lost", Decimal("18500.50"), "Partner Referral")
    assert (open_.status, open_.closed, open_.stage) == ("open", None, "Proposal/Price Quote")


def test_errors_in_a_formatted_report_name_the_spreadsheet_rows(
    company, client_for, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    workbook = load_workbook(EXPORTS / "salesforce_opportunities_formatted.xlsx")
    workbook.active["G8"] = "kein Datum"  # the close date of the second deal, row 8 as Excel shows it
    data = io.BytesIO()
    workbook.save(data)
    client = client_for(company, Role.CMO)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base(company), {"kind": "opportunities", "source": "salesforce",
                                               "file": SimpleUploadedFile("report.xlsx", data.getvalue())})  # fmt: skip
    job = CrmImport.objects.get(company=company)
    assert response.status_code == 302 and job.header_row == 6
    confirm(client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(8, "Close Date")]


def test_salesforce_classic_report_footer_ends_the_data(company, cmo_client, django_capture_on_commit_callbacks):
    job, html = upload(cmo_client, company, "salesforce_classic_report_footer.csv", "opportunities")
    assert "2 data rows." in html and "Grand Totals" not in html.split('data-testid="wizard-samples"')[1]
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    assert job.rows_total == 2
    assert dict(Opportunity.objects.values_list("external_id", "status")) == {
        "0065g00000ClA01": "won",
        "0065g00000ClA02": "open",
    }
    assert Opportunity.objects.get(external_id="0065g00000ClA01").closed == at(2026, 1, 30)


def test_hubspot_deals_xlsx_in_german(company, cmo_client, django_capture_on_commit_callbacks):
    job, _html = upload(cmo_client, company, "hubspot_contacts_de.csv", "leads")
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    job, html = upload(cmo_client, company, "hubspot_deals_de.xlsx", "opportunities")
    assert job.original_name == "hubspot_deals_de.xlsx" and "HubSpot export" in html
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks)
    assert job.status == CrmImport.Status.DONE, job.errors
    deals = {o.external_id: o for o in Opportunity.objects.select_related("lead")}
    assert (deals["7001"].status, deals["7001"].amount, deals["7001"].closed) == ("won", Decimal("120000.50"),
                                                                                  at(2026, 2, 27))  # fmt: skip
    assert deals["7001"].lead.external_id == "51" and deals["7001"].created == at(2026, 1, 20, 9, 14)
    assert (deals["7002"].status, deals["7002"].lead) == ("open", None)
    assert (deals["7003"].status, deals["7003"].lead.external_id) == ("lost", "53")


def test_a_missing_stage_column_is_a_visible_warning(company, cmo_client, django_capture_on_commit_callbacks):
    job, _html = upload(cmo_client, company, "salesforce_opportunities_report_en.csv", "opportunities")
    data = proposed(job)
    for key, value in data.items():
        if value in ("stage", "is_won", "is_closed"):
            data[key] = ""
    partial = cmo_client.post(f"{base(company)}{job.pk}/wizard/", data, HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in text
    assert "No column for the stage or won/lost: all deals will be open." in text
    assert Opportunity.objects.count() == 0  # the wizard writes nothing
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks, data=data)
    assert set(Opportunity.objects.values_list("status", flat=True)) == {"open"}


def test_an_edited_mapping_is_kept_for_the_next_file(company, cmo_client, django_capture_on_commit_callbacks):
    job, _html = upload(cmo_client, company, "hubspot_contacts_old_labels.csv", "leads")
    preview = build_preview(job=job)
    data = proposed(job)
    index = preview.header.index
    data[f"column-{index('Original Source Drill-Down 1')}"] = ""
    data[f"column-{index('Original Source Drill-Down 2')}"] = "campaign"
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks, data=data)
    assert Lead.objects.get(external_id="702").campaign == "heat pumps"
    kept = ColumnMapping.objects.get(company=company, source="hubspot", kind="leads")
    assert kept.columns["campaign"] == "Original Source Drill-Down 2"
    job, html = upload(cmo_client, company, "hubspot_contacts_old_labels.csv", "leads")
    assert build_preview(job=job).columns["campaign"] == "Original Source Drill-Down 2"
    assert '<option value="campaign" selected>' in html


def test_a_field_chosen_twice_and_a_missing_required_one_are_refused(company, cmo_client,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    job, _html = upload(cmo_client, company, "hubspot_contacts_old_labels.csv", "leads")
    preview = build_preview(job=job)
    data = proposed(job)
    data[f"column-{preview.header.index('Industry')}"] = "channel"
    data[f"column-{preview.header.index('Create Date')}"] = ""
    response = confirm(cmo_client, company, job, django_capture_on_commit_callbacks, data=data)
    text = response.content.decode()
    assert response.status_code == 400
    assert "“Channel / lead source” is chosen for more than one column." in text
    assert "Choose the column that holds “Created” (required)." in text
    assert job.status == CrmImport.Status.DRAFT and Lead.objects.count() == 0


def test_discard_drops_the_upload(company, cmo_client):
    job, _html = upload(cmo_client, company, "hubspot_contacts_de.csv", "leads")
    response = cmo_client.post(f"{base(company)}{job.pk}/discard/")
    assert response.status_code == 302 and not CrmImport.objects.filter(pk=job.pk).exists()


def test_the_wizard_of_another_company_is_404(company, other_company, client_for, cmo_client):
    job, _html = upload(cmo_client, company, "hubspot_contacts_de.csv", "leads")
    stranger = client_for(other_company, Role.CMO)
    for suffix in ("", "wizard/", "confirm/", "discard/"):
        url = f"/c/{other_company.slug}/board/import/{job.pk}/{suffix}"
        assert (stranger.post(url) if suffix else stranger.get(url)).status_code == 404
    assert CrmImport.objects.get(pk=job.pk).status == CrmImport.Status.DRAFT


def test_the_wizard_in_german(company, client_for):
    client = client_for(company, Role.CMO)
    client.cookies["django_language"] = "de"
    _job, html = upload(client, company, "hubspot_contacts_us_excel_ambiguous.csv", "leads")
    assert "Erkannt als: <strong>HubSpot-Export</strong>." in html
    assert "Wie schreibt diese Datei Datumsangaben?" in html


@pytest.mark.parametrize("rows", [3, 300])
def test_the_wizard_keeps_its_query_count_as_the_file_grows(company, cmo_client, django_assert_max_num_queries, rows):
    body = "".join(f"{n},2026-01-{n % 28 + 1:02d} 09:00,Web,Energy\r\n" for n in range(rows))
    file = SimpleUploadedFile("big.csv", ("Record ID,Create Date,Original Source,Industry\r\n" + body).encode())
    response = cmo_client.post(base(company), {"kind": "leads", "source": "auto", "file": file})
    job = CrmImport.objects.get()
    ColumnMapping.objects.create(company=company, name="Kept", source="hubspot", kind="leads", columns={})
    with django_assert_max_num_queries(12):
        html = cmo_client.get(response["Location"]).content.decode()
    assert f"{rows} data rows." in html and html.count('<tr><td class="num">') == min(rows, 5)  # sample rows
    with django_assert_max_num_queries(12):
        partial = cmo_client.post(f"{base(company)}{job.pk}/wizard/", proposed(job), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200


def test_an_unknown_crm_is_mapped_by_hand_and_recognised_next_time(company, cmo_client,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    content = "Kundennummer;Angelegt am;Quelle\r\nK-1;03.02.2026;Messe\r\nK-2;04.02.2026;Webinar\r\n".encode("cp1252")
    response = cmo_client.post(base(company), {"kind": "leads", "source": "auto",
                                               "file": SimpleUploadedFile("crm.csv", content)})  # fmt: skip
    job = CrmImport.objects.get()
    html = cmo_client.get(response["Location"]).content.decode()
    assert job.source == "custom" and "Not recognised as a HubSpot or Salesforce export" in html
    assert "Choose the column that holds “Lead id” (required)." in html
    by_hand = {"column-0": "external_id", "column-1": "created", "column-2": "channel"}
    confirm(cmo_client, company, job, django_capture_on_commit_callbacks, data=by_hand)
    assert job.status == CrmImport.Status.DONE, job.errors
    assert dict(Lead.objects.values_list("external_id", "channel")) == {"K-1": "Messe", "K-2": "Webinar"}
    kept = ColumnMapping.objects.get(company=company, source="custom", kind="leads")
    assert kept.columns == {"external_id": "Kundennummer", "created": "Angelegt am", "channel": "Quelle"}

    response = cmo_client.post(base(company), {"kind": "leads", "source": "auto",
                                               "file": SimpleUploadedFile("crm2.csv", content)})  # fmt: skip
    second = CrmImport.objects.latest("pk")
    assert second.mapping == kept
    assert proposed(second) == by_hand


def test_unconfirmed_uploads_are_purged_after_a_week(company, cmo_client):
    from crm import tasks

    old, _html = upload(cmo_client, company, "hubspot_contacts_de.csv", "leads")
    fresh, _html = upload(cmo_client, company, "hubspot_contacts_old_labels.csv", "leads")
    path = Path(old.file.path)
    CrmImport.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(days=8))
    assert path.exists()
    assert tasks.crm_import_drafts_purge() == 1
    assert not CrmImport.objects.filter(pk=old.pk).exists() and not path.exists()
    assert CrmImport.objects.get(pk=fresh.pk).status == CrmImport.Status.DRAFT


def test_the_purge_is_on_the_beat_schedule():
    from okrplan.celery import collect_beat_schedule

    purge = collect_beat_schedule()["crm.crm-import-drafts-purge"]
    assert purge["task"] == "crm.crm_import_drafts_purge" and purge["schedule"].hour == {3}
