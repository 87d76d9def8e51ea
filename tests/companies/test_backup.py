"""Backup: export_company writes a whole company to one JSON file; import_company restores it into an empty
installation; exporting the restored company gives the same JSON apart from ids."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from budgets.models import BudgetAuditEntry, BudgetLine, SpendEntry
from companies.backup import company_models
from companies.models import Company, Membership
from crm.models import Lead, Opportunity, Touchpoint
from history.models import ChangeRecord
from initiatives.models import Initiative
from objectives.models import CheckIn, KeyResult, Objective
from reporting.models import KpiSnapshot


def _normalise(path) -> dict:
    """Replace every id by the row's position within its table, so two exports compare apart from ids."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("exported_at")
    position: dict[tuple[str, object], int] = {}
    counters: dict[str, int] = defaultdict(int)
    for record in data["objects"]:
        position[(record["model"], record["pk"])] = counters[record["model"]]
        counters[record["model"]] += 1
    for record in data["objects"]:
        model = apps.get_model(record["model"])
        record["pk"] = position[(record["model"], record["pk"])]
        fields = record["fields"]
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            if not field.is_relation or field.name not in fields or fields[field.name] is None:
                continue
            label = field.related_model._meta.label_lower
            if field.many_to_many:
                fields[field.name] = sorted(position[(label, value)] for value in fields[field.name])
            elif isinstance(fields[field.name], list):
                continue  # a natural key (users, content types) is the same in both installations
            elif (label, fields[field.name]) in position:
                fields[field.name] = position[(label, fields[field.name])]
            elif field.related_model is Company:
                fields[field.name] = "company"
        if "content_type" in fields and "object_id" in fields:
            key = (".".join(fields["content_type"]), fields["object_id"])
            fields["object_id"] = position.get(key, fields["object_id"])
    return data


@pytest.mark.django_db(transaction=True)
def test_round_trip_through_an_empty_installation(tmp_path):
    call_command("load_demo")
    company = Company.objects.order_by("pk").first()
    expected = {
        model: model.objects.filter(company=company).count()
        for model in (Membership, Objective, KeyResult, CheckIn, Initiative, BudgetLine, BudgetAuditEntry,
                      SpendEntry, Lead, Opportunity, Touchpoint, KpiSnapshot, ChangeRecord)
    }  # fmt: skip
    assert all(expected[m] > 0 for m in (Membership, Objective, KeyResult, Initiative, BudgetLine, Lead))
    first = tmp_path / "first.json"
    call_command("export_company", company.slug, output=str(first))

    call_command("flush", interactive=False)
    assert not Company.objects.exists() and not get_user_model().objects.exists()
    call_command("import_company", str(first))

    restored = Company.objects.get(slug=company.slug)
    for model, count in expected.items():
        assert model.objects.filter(company=restored).count() == count, model
    user = Membership.objects.filter(company=restored).select_related("user").first().user
    assert not user.has_usable_password()
    second = tmp_path / "second.json"
    call_command("export_company", company.slug, output=str(second))
    before, after = _normalise(first), _normalise(second)
    mismatches = [(a, b) for a, b in zip(before.pop("objects"), after.pop("objects"), strict=True) if a != b]
    assert mismatches[:3] == []
    assert after == before

    with pytest.raises(CommandError, match="exists already"):
        call_command("import_company", str(first))


def test_every_company_table_is_exported():
    labels = {model._meta.label for model, _path in company_models()}
    expected = {"companies.Membership", "objectives.Objective", "objectives.KeyResult", "objectives.CheckIn",
                "initiatives.Initiative", "initiatives.InitiativeRating", "initiatives.InitiativePartner",
                "initiatives.PrioritySettings", "budgets.BudgetLine",
                "budgets.BudgetAuditEntry",
                "budgets.SpendEntry", "budgets.BudgetSettings", "crm.Lead", "crm.Opportunity",
                "crm.Touchpoint", "reporting.KpiBinding", "reporting.KpiSnapshot", "reporting.ReportingSettings",
                "history.ChangeRecord"}  # fmt: skip
    assert expected <= labels
    order = [model._meta.label for model, _path in company_models()]
    assert order.index("objectives.Cycle") < order.index("objectives.Objective") < order.index("objectives.KeyResult")
    assert order.index("objectives.KeyResult") < order.index("budgets.BudgetLine") < order.index("budgets.SpendEntry")


@pytest.mark.django_db
def test_import_refuses_other_files(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not a JSON backup"):
        call_command("import_company", str(garbage))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(CommandError, match="not an okrplan company backup"):
        call_command("import_company", str(other))
    with pytest.raises(CommandError, match="No company"):
        call_command("export_company", "nope", output=str(tmp_path / "x.json"))
