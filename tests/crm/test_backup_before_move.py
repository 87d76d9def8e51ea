"""A company export written by main before the CRM data moved from reporting to the crm app (issue 13) still
imports: the old labels (``reporting.lead``, ...) are read as the crm models, foreign keys between them (opportunity
→ lead, touchpoint → lead, import → mapping) point at the imported rows, and change history that named the old
content types points at the moved models.

tests/fixtures/export_before_crm_move.json was written by ``manage.py export_company`` on main at 530ff2e
(reporting 0012 the last migration)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from companies.models import Company
from crm.models import ColumnMapping, CrmImport, Lead, Opportunity, Touchpoint
from history.models import ChangeRecord
from reporting.models import CrmDataDigest, ReportingSettings

EXPORT = Path(__file__).resolve().parent.parent / "fixtures" / "export_before_crm_move.json"

pytestmark = pytest.mark.django_db


def test_the_export_names_the_old_labels():
    text = EXPORT.read_text(encoding="utf-8")
    assert '"model": "reporting.lead"' in text and '"content_type": ["reporting", "lead"]' in text
    assert '"model": "crm.' not in text


def test_an_export_made_before_the_move_imports_every_crm_row(capsys):
    call_command("import_company", str(EXPORT))

    assert "Imported company altwerk (Altwerk Energie GmbH): 18 rows." in capsys.readouterr().out
    company = Company.objects.get(slug="altwerk")
    leads = {lead.external_id: lead for lead in Lead.objects.filter(company=company)}
    assert sorted(leads) == ["L-1", "L-2", "L-3"]
    assert (leads["L-1"].owner, leads["L-1"].crm_opportunity_id, leads["L-1"].campaign) == (
        "Thomas Wagner",
        "O-1",
        "Webinar Wärmewende",
    )
    assert (leads["L-2"].is_marketing_sourced, leads["L-2"].rejection_reason) == (False, "Kein Budget")
    won = Opportunity.objects.get(company=company, external_id="O-1")
    assert (won.lead, won.amount, won.status) == (leads["L-1"], Decimal("48500.00"), "won")
    assert Opportunity.objects.get(company=company, external_id="O-2").lead is None
    touches = Touchpoint.objects.filter(company=company).order_by("external_id")
    assert [(t.external_id, t.lead.external_id) for t in touches] == [("T-1", "L-1"), ("T-2", "L-1"), ("T-3", "L-3")]
    named = ColumnMapping.objects.get(company=company, name="Pipedrive Kontakte")
    assert ColumnMapping.objects.get(company=company, source="hubspot").columns["segment"] == "Industry"
    done = CrmImport.objects.get(company=company, original_name="pipedrive.csv")
    assert (done.mapping, done.status, done.date_order, done.created_by.username) == (named, "done", "dmy",
                                                                                     "petra.lang")  # fmt: skip
    failed = CrmImport.objects.get(company=company, original_name="deals.csv")
    assert failed.errors == [{"row": 3, "column": "Close Date", "message": "Kein Datum"}]
    # reporting's own rows of the same file
    assert ReportingSettings.objects.get(company=company).sales_sources == ["Vertrieb"]
    assert CrmDataDigest.objects.get(company=company).months == {"2026-02": 12345, "2026-03": 678}


def test_the_change_history_of_an_old_export_points_at_the_moved_models():
    call_command("import_company", str(EXPORT))
    company = Company.objects.get(slug="altwerk")
    on_lead = ChangeRecord.objects.get(company=company, object_label="L-1")
    assert on_lead.content_type.model_class() is Lead
    assert Lead.objects.get(pk=on_lead.object_id).external_id == "L-1"
    on_mapping = ChangeRecord.objects.get(company=company, object_label="Pipedrive Kontakte")
    assert on_mapping.content_type.model_class() is ColumnMapping
    assert ColumnMapping.objects.get(pk=on_mapping.object_id).name == "Pipedrive Kontakte"
