"""The CRM import page (upload, progress, error report) and the saved column mappings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from companies.permissions import Role
from crm.models import ColumnMapping, CrmImport, Lead

pytestmark = pytest.mark.django_db

CSV = "Record ID,Create Date,Industry\n1,2026-03-01,Stadtwerke\n2,2026-03-02,Industrie\n"


def base(company):
    return f"/c/{company.slug}/board/import/"


def test_upload_runs_the_import_and_shows_the_result(company, client_for, django_capture_on_commit_callbacks):
    client = client_for(company, Role.CMO)
    page = client.get(base(company))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Up to 200 MB" in html and "No imports yet" in html
    assert "Became a Marketing Qualified Lead Date" in html  # the preset columns are explained
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base(company), {"kind": "leads", "source": "hubspot",
                                               "file": SimpleUploadedFile("kontakte.csv", CSV.encode())})  # fmt: skip
    job = CrmImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{base(company)}{job.pk}/"
    wizard = client.get(response["Location"]).content.decode()
    assert "Recognised as: <strong>HubSpot export</strong>." in wizard and "2 data rows." in wizard
    assert Lead.objects.count() == 0 and job.status == CrmImport.Status.DRAFT  # nothing before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"{base(company)}{job.pk}/confirm/", {"column-0": "external_id", "column-1": "created",
                                                                       "column-2": "segment"})  # fmt: skip
    assert confirmed.status_code == 302 and confirmed["Location"] == f"{base(company)}{job.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "2 rows imported (2 new, the rest updated)." in detail
    assert 'value="100"' in detail and "hx-trigger" not in detail  # finished: no more polling
    assert Lead.objects.filter(company=company).count() == 2
    assert "kontakte.csv" in client.get(base(company)).content.decode()


def test_a_running_import_polls_its_progress(company, client_for):
    client = client_for(company, Role.CMO)
    job = CrmImport.objects.create(company=company, kind="leads", source="hubspot", original_name="a.csv", size=10)
    html = client.get(f"{base(company)}{job.pk}/").content.decode()
    assert f'hx-get="{base(company)}{job.pk}/progress/"' in html
    assert 'hx-trigger="every 1s"' in html
    partial = client.get(f"{base(company)}{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "Waiting" in partial.content.decode()


def test_the_error_report_lists_rows_and_columns(company, client_for, django_capture_on_commit_callbacks):
    client = client_for(company, Role.CMO)
    response = client.post(base(company), {"kind": "leads", "source": "hubspot",
                                           "file": SimpleUploadedFile("x.csv", b"Record ID,Create Date\n1,32.13.2026\n")})  # fmt: skip  # noqa: E501
    wizard = client.get(response["Location"]).content.decode()
    assert "<code>Create Date</code>: “32.13.2026” is not a valid date." in wizard  # the sample row says it first
    job = CrmImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base(company)}{job.pk}/confirm/", {"column-0": "external_id", "column-1": "created"})
    html = client.get(response["Location"]).content.decode()
    assert "Nothing was imported." in html
    assert '<td class="num">2</td><td><code>Create Date</code></td>' in html
    assert Lead.objects.count() == 0


def test_upload_form_errors_are_shown(company, client_for):
    client = client_for(company, Role.CMO)
    mapping = ColumnMapping.objects.create(company=company, name="Deals", kind="opportunities", columns={"amount": "a"})
    response = client.post(base(company), {"kind": "leads", "source": "custom", "mapping": mapping.pk,
                                           "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})  # fmt: skip
    assert response.status_code == 400
    assert "This mapping is for Opportunities / deals." in response.content.decode()
    assert CrmImport.objects.count() == 0


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FACILITATOR, Role.MEMBER])
def test_import_page_needs_crm_import(company, client_for, role):
    assert client_for(company, role).get(base(company)).status_code == 403


def test_import_page_links_to_the_settings_that_decide_what_the_data_means(company, client_for):
    """reporting registers its settings page with crm (crm names no higher app's URL); the link is there in both
    languages."""
    client = client_for(company, Role.CMO)
    html = client.get(base(company)).content.decode()
    assert f'<a href="/c/{company.slug}/board/settings/">Reporting settings and KPI bindings</a>' in html
    html = client.get(base(company), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Reporting-Einstellungen und KPI-Verknüpfungen" in html


def test_other_companies_imports_are_404(company, other_company, client_for):
    job = CrmImport.objects.create(company=other_company, kind="leads", source="hubspot", original_name="a.csv")
    client = client_for(company, Role.CMO)
    assert client.get(f"{base(company)}{job.pk}/").status_code == 404
    assert client.get(f"{base(other_company)}").status_code == 404


def test_mapping_create_edit_and_delete_with_confirmation(company, client_for):
    client = client_for(company, Role.CMO)
    form = client.get(f"{base(company)}mappings/new/?kind=opportunities").content.decode()
    assert "Opportunity id" in form and "Amount" in form
    response = client.post(f"{base(company)}mappings/new/?kind=opportunities",
                           {"name": "Pipedrive Deals", "col_external_id": "Deal ID"})  # fmt: skip
    assert response.status_code == 400
    assert "Name the column that holds this required field." in response.content.decode()
    response = client.post(f"{base(company)}mappings/new/?kind=opportunities",
                           {"name": "Pipedrive Deals", "col_external_id": "Deal ID", "col_created": "Erstellt",
                            "col_amount": "Wert"})  # fmt: skip
    assert response.status_code == 302
    mapping = ColumnMapping.objects.get()
    assert mapping.columns == {"external_id": "Deal ID", "created": "Erstellt", "amount": "Wert"}
    assert "Pipedrive Deals" in client.get(base(company)).content.decode()
    edit = client.get(f"{base(company)}mappings/{mapping.pk}/").content.decode()
    assert 'value="Wert"' in edit
    confirm = client.get(f"{base(company)}mappings/{mapping.pk}/delete/")
    assert "Delete the column mapping “Pipedrive Deals”?" in confirm.content.decode()
    assert ColumnMapping.objects.count() == 1
    client.post(f"{base(company)}mappings/{mapping.pk}/delete/")
    assert ColumnMapping.objects.count() == 0


def test_the_import_page_keeps_its_query_count_as_data_grows(company, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    client = client_for(company, Role.CMO)

    def add(n):
        for i in range(n):
            user = UserFactory()
            mapping = ColumnMapping.objects.create(company=company, name=f"M{user.pk}-{i}", kind="leads", columns={})
            CrmImport.objects.create(company=company, kind="leads", source="custom", mapping=mapping,
                                     original_name=f"{i}.csv", created_by=user, status="failed")  # fmt: skip

    add(1)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(base(company)).status_code == 200
    add(15)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(base(company)).status_code == 200
