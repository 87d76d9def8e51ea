"""The CRM import page in a real browser: upload, the wizard (detected CRM, editable column mapping, the date order
question, confirmation) over a slow network, and the progress that updates itself through htmx polling."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from companies.permissions import Role
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"Record ID,Create Date,Industry\n1,2026-03-01,Stadtwerke\n2,2026-03-02,Industrie\n3,04.03.2026,Industrie\n"
EXPORTS = Path(__file__).parents[1] / "crm" / "crm_exports"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}


def _slow_wizard(page, delay_s: float = 0.6):
    """The wizard's htmx requests and the confirmation take their time, as on a slow connection."""

    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/board/import/*/wizard/", handle)
    page.route("**/board/import/*/confirm/", handle)


@pytest.fixture
def cmo(settings, tmp_path):
    from tests.factories import CompanyFactory, MembershipFactory, UserFactory

    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"
    company = CompanyFactory(slug="acme", name="Acme Energie")
    user = UserFactory(username="carla")
    MembershipFactory(user=user, company=company, role=Role.CMO)
    return company


def test_upload_shows_the_result(cmo, live_server, login):
    page = login("carla", "pw")
    page.goto(f"{live_server.url}/c/acme/board/import/")
    page.get_by_label("What the file contains").or_(page.get_by_label("Inhalt der Datei")).select_option("leads")
    page.get_by_label("Exported from").or_(page.get_by_label("Exportiert aus")).select_option("hubspot")
    page.locator("input[type=file]").set_input_files(files=[{"name": "kontakte.csv", "mimeType": "text/csv",
                                                              "buffer": CSV}])  # fmt: skip
    page.locator("form[data-crm-upload] button[type=submit]").click()
    expect(page.get_by_test_id("detected-source")).to_contain_text("3")
    page.wait_for_load_state("load")  # htmx binds the mapping selects once the page has loaded
    page.get_by_test_id("wizard-confirm").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("3")
    expect(page.locator("#import-progress-bar")).to_have_attribute("value", "100")


def test_wizard_edit_a_mapping_answer_the_date_order_and_confirm(cmo, live_server, login):
    from crm.models import ColumnMapping, CrmImport, Lead

    page = login("carla", "pw")
    _slow_wizard(page)
    page.goto(f"{live_server.url}/c/acme/board/import/")
    page.get_by_label("What the file contains").select_option("leads")
    expect(page.get_by_label("Exported from")).to_have_value("auto")
    data = (EXPORTS / "hubspot_contacts_us_excel_ambiguous.csv").read_bytes()
    page.locator("input[type=file]").set_input_files(files=[{"name": "contacts.csv", "mimeType": "text/csv",
                                                              "buffer": data}])  # fmt: skip
    page.locator("form[data-crm-upload] button[type=submit]").click()

    expect(page.get_by_test_id("detected-source")).to_contain_text("Recognised as: HubSpot export.")
    page.wait_for_load_state("load")  # htmx binds the mapping selects once the page has loaded
    confirm = page.get_by_test_id("wizard-confirm")
    expect(confirm).to_be_disabled()  # the date order is open
    expect(page.get_by_test_id("wizard-errors")).to_contain_text("Choose how the file writes its dates")
    expect(page.get_by_test_id("date-order")).to_contain_text("“1/12/2026 9:14” (row 2, column “Create Date”)")

    # Edit a mapping: the channel column is dropped (a warning says what that means), then given back.
    channel = page.get_by_label("Field for column “Original Traffic Source”")
    expect(channel).to_have_value("channel")
    channel.select_option(value="")
    expect(page.get_by_test_id("wizard-warnings")).to_contain_text("no lead will get a channel")
    industry = page.get_by_label("Field for column “Industry”")
    industry.select_option("campaign")  # a second change while the first is still on its way
    industry.select_option("segment")
    channel.focus()
    channel.select_option("channel")
    expect(page.get_by_test_id("wizard-warnings")).to_have_count(0)
    expect(channel).to_be_focused()  # the selects are not replaced: focus stays where the person works

    # Resolve the ambiguous dates: month first.
    page.get_by_label("Month first (3/4/2026 is 4 March 2026: US)").check()
    expect(page.get_by_test_id("wizard-errors")).to_have_count(0)
    expect(page.get_by_test_id("wizard-samples")).to_contain_text("12 Jan 2026 09:14")
    expect(confirm).to_be_enabled()
    assert Lead.objects.count() == 0  # nothing written before the confirmation
    assert serious_violations(page) == []

    confirm.click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 rows imported")
    berlin = ZoneInfo("Europe/Berlin")
    assert Lead.objects.get(external_id="9101").created == dt.datetime(2026, 1, 12, 9, 14, tzinfo=berlin)
    assert Lead.objects.get(external_id="9102").created == dt.datetime(2026, 2, 3, 14, 5, tzinfo=berlin)
    assert set(Lead.objects.values_list("channel", flat=True)) == {"ORGANIC_SEARCH", "PAID_SOCIAL"}
    assert CrmImport.objects.get().date_order == "mdy"
    assert ColumnMapping.objects.get(source="hubspot", kind="leads").columns["segment"] == "Industry"


def test_wizard_refuses_a_field_chosen_twice_without_writing(cmo, live_server, login):
    from crm.models import CrmImport, Lead

    page = login("carla", "pw")
    _slow_wizard(page, 0.3)
    page.goto(f"{live_server.url}/c/acme/board/import/")
    data = (EXPORTS / "salesforce_opportunities_report_en.csv").read_bytes()
    page.get_by_label("What the file contains").select_option("opportunities")
    page.locator("input[type=file]").set_input_files(files=[{"name": "report.csv", "mimeType": "text/csv",
                                                              "buffer": data}])  # fmt: skip
    page.locator("form[data-crm-upload] button[type=submit]").click()
    expect(page.get_by_test_id("detected-source")).to_contain_text("Salesforce export")
    page.wait_for_load_state("load")  # htmx binds the mapping selects once the page has loaded
    expect(page.get_by_test_id("wizard-samples")).to_contain_text("Won")
    page.get_by_label("Field for column “Fiscal Period”").select_option("stage")
    expect(page.get_by_test_id("wizard-errors")).to_contain_text("“Stage” is chosen for more than one column.")
    expect(page.get_by_test_id("wizard-confirm")).to_be_disabled()
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_text("was discarded; nothing was imported.")).to_be_visible()
    assert CrmImport.objects.count() == 0 and Lead.objects.count() == 0


def test_progress_updates_without_reloading(cmo, live_server, login):
    from crm.models import CrmImport, Lead
    from crm.services import crm_import_run

    job = CrmImport(company=cmo, kind="leads", source="hubspot", original_name="k.csv", size=len(CSV))
    job.file.save("k.csv", ContentFile(CSV), save=False)
    job.save()
    page = login("carla", "pw")
    page.goto(f"{live_server.url}/c/acme/board/import/{job.pk}/")
    status = page.locator("#import-progress [data-import-status]")
    expect(status).to_have_attribute("data-import-status", "pending")
    crm_import_run(import_id=job.pk)  # what the worker does
    expect(status).to_have_attribute("data-import-status", "done", timeout=10_000)
    expect(page.get_by_test_id("import-summary")).to_be_visible()
    assert Lead.objects.filter(company=cmo).count() == 3


def test_a_file_above_the_limit_is_refused_before_uploading(cmo, live_server, login, settings):
    from crm.models import CrmImport

    settings.CRM_IMPORT_MAX_BYTES = 20
    page = login("carla", "pw")
    page.goto(f"{live_server.url}/c/acme/board/import/")
    expect(page.locator("select[name=mapping]")).to_be_hidden()  # only for "Other CRM"
    page.locator("select[name=source]").select_option("custom")
    expect(page.locator("select[name=mapping]")).to_be_visible()
    page.locator("select[name=source]").select_option("hubspot")
    page.locator("input[type=file]").set_input_files(files=[{"name": "big.csv", "mimeType": "text/csv",
                                                              "buffer": CSV}])  # fmt: skip
    expect(page.locator("[data-size-note]")).to_contain_text("larger than 0 MB")
    page.locator("form[data-crm-upload] button[type=submit]").click()
    expect(page.locator("[data-size-note]")).to_be_visible()
    assert CrmImport.objects.count() == 0
