"""The handover fields reach the leads through the file import (HubSpot and Salesforce headers) and the CRM API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from companies.permissions import Role
from crm.models import CrmImport, Lead
from crm.services import crm_import_create
from tests.factories_crm import at

pytestmark = pytest.mark.django_db

HUBSPOT = """Record ID,First Name,Create Date,Lifecycle Stage,Became a Marketing Qualified Lead Date,Became a Sales Accepted Lead Date,Contact owner,Date of first engagement
201,Anna,2026-05-20 09:00,salesqualifiedlead,2026-05-22 16:00,2026-05-26 10:30,Anna Vertrieb,2026-05-26 14:00
202,Jörg,2026-05-21 09:00,marketingqualifiedlead,2026-05-22 10:00,,,
"""  # noqa: E501

SALESFORCE = """Id,CreatedDate,Status,Lead Owner,MQL_Date__c,Rejected_Date__c,Rejection_Reason__c,Recycled_Date__c,First_Contact_Date__c
00Q9,2026-05-04T07:00:00.000+0000,Recycled,Ben Vertrieb,2026-05-04T07:00:00.000+0000,2026-05-07T08:00:00.000+0000,Kein Budget,2026-05-08T08:00:00.000+0000,
"""  # noqa: E501


@pytest.fixture(autouse=True)
def _upload_root(settings, tmp_path):
    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"


def run_import(company, actor, content, *, source, capture):
    upload = SimpleUploadedFile("export.csv", content.encode(), content_type="text/csv")
    with capture(execute=True):
        job = crm_import_create(company=company, kind="leads", source=source, uploaded_file=upload, actor=actor,
                                mapping=None)  # fmt: skip
    job.refresh_from_db()
    return job


def test_hubspot_owner_and_first_engagement(company, make_member, django_capture_on_commit_callbacks):
    job = run_import(company, make_member(company, Role.CMO), HUBSPOT, source="hubspot",
                     capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert job.status == CrmImport.Status.DONE, job.errors
    lead = Lead.objects.get(company=company, external_id="201")
    assert lead.owner == "Anna Vertrieb"
    assert lead.first_contact_at == at(2026, 5, 26, 14, 0)
    assert lead.sal_at == at(2026, 5, 26, 10, 30)
    other = Lead.objects.get(company=company, external_id="202")
    assert (other.owner, other.first_contact_at) == ("", None)


def test_salesforce_rejection_reason_and_recycling(company, make_member, django_capture_on_commit_callbacks):
    job = run_import(company, make_member(company, Role.CMO), SALESFORCE, source="salesforce",
                     capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert job.status == CrmImport.Status.DONE, job.errors
    lead = Lead.objects.get(company=company, external_id="00Q9")
    assert lead.owner == "Ben Vertrieb" and lead.rejection_reason == "Kein Budget"
    assert lead.rejected_at == at(2026, 5, 7, 10, 0)  # 08:00 UTC = 10:00 CEST
    assert lead.recycled_at == at(2026, 5, 8, 10, 0)
    assert lead.first_contact_at is None


def test_api_writes_and_reads_the_handover_fields(company, api_client_for):
    client = api_client_for(company, Role.CMO)
    endpoint = reverse("api-crm-leads", kwargs={"company_slug": company.slug})
    payload = [{"external_id": "A1", "created": "2026-05-20T09:00:00+02:00", "mql_at": "2026-05-22T16:00:00+02:00",
                "owner": "Anna Vertrieb", "rejected_at": "2026-05-26T10:00:00+02:00",
                "rejection_reason": "Falscher Ansprechpartner", "recycled_at": "2026-05-27T10:00:00+02:00",
                "first_contact_at": None}]  # fmt: skip
    response = client.post(endpoint, payload, format="json")
    assert response.status_code == 200, response.content
    lead = Lead.objects.get(company=company, external_id="A1")
    assert lead.rejection_reason == "Falscher Ansprechpartner" and lead.rejected_at == at(2026, 5, 26, 10, 0)
    listed = client.get(endpoint).json()
    row = listed["results"][0] if isinstance(listed, dict) else listed[0]
    assert row["owner"] == "Anna Vertrieb" and row["rejection_reason"] == "Falscher Ansprechpartner"
    assert row["recycled_at"].startswith("2026-05-27")
