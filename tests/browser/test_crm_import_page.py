"""The CRM import page in a real browser: upload, and the progress that updates itself through htmx polling."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from companies.permissions import Role

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"Record ID,Create Date,Industry\n1,2026-03-01,Stadtwerke\n2,2026-03-02,Industrie\n3,04.03.2026,Industrie\n"


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
    expect(page.get_by_test_id("import-summary")).to_contain_text("3")
    expect(page.locator("#import-progress-bar")).to_have_attribute("value", "100")


def test_progress_updates_without_reloading(cmo, live_server, login):
    from reporting.models import CrmImport, Lead
    from reporting.services_crm import crm_import_run

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
    from reporting.models import CrmImport

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
