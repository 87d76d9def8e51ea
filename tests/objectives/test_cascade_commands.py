"""The cascade_export / cascade_import management commands (thin wrappers around objectives.services.cascade_io)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from objectives.models import KeyResult, Objective
from tests.factories_cascade import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_export_then_import_round_trip(company, tmp_path, capsys):
    source = CycleFactory(company=company, name="Q1")
    top = ObjectiveFactory(cycle=source, title="Top", team="company")
    KeyResultFactory(objective=ObjectiveFactory(cycle=source, title="Child", parent=top), title="KR", current_value=5)
    call_command("cascade_export", "acme", "--cycle", "Q1")
    assert "1.1.K1,key result,KR" in capsys.readouterr().out
    for suffix in ("xlsx", "csv"):
        target = CycleFactory(company=company, name=f"Copy {suffix}")
        path = tmp_path / f"cascade.{suffix}"
        call_command("cascade_export", "acme", "--cycle", str(source.pk), "--output", str(path))
        call_command("cascade_import", "acme", str(path), "--cycle", target.name)
        assert Objective.objects.get(cycle=target, title="Child").parent.title == "Top"
        assert KeyResult.objects.get(objective__cycle=target).current_value == 5


def test_import_reports_errors_and_changes_nothing(company, tmp_path):
    cycle = CycleFactory(company=company, name="Q1")
    path = tmp_path / "bad.csv"
    path.write_text("path,type,title\n1,objective,\n", "utf-8")
    with pytest.raises(CommandError, match="row 2, column title"):
        call_command("cascade_import", "acme", str(path), "--cycle", str(cycle.pk))
    with pytest.raises(CommandError, match="No company"):
        call_command("cascade_export", "nope")
    assert not Objective.objects.exists()
