"""The demo cascade: the workshop result with weeks of check-ins, deterministic and idempotent."""

from __future__ import annotations

import pytest

from companies import demo
from companies.models import Company
from objectives import demo_cascade
from objectives.models import CheckIn, Cycle, KeyResult, Objective, ObjectiveLink
from objectives.selectors.cascade import cascade_tree, cycle_default, walk

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Objective.objects.order_by("pk").values_list("title", "parent__title", "position", "state")),
        list(KeyResult.objects.order_by("pk").values_list("title", "current_value", "confidence")),
        CheckIn.objects.count(),
        ObjectiveLink.objects.count(),
    )


def test_demo_cascade_is_idempotent_and_shows_a_real_workshop_result():
    demo.load()
    demo_cascade.load()
    first = _snapshot()
    demo_cascade.load()
    assert _snapshot() == first
    company = Company.objects.get(slug="voltaria")
    cycle = cycle_default(company=company)
    assert (cycle.name, cycle.state, cycle.kind) == ("Geschäftsjahr 2026", Cycle.State.ACTIVE, Cycle.Kind.YEAR)
    tree = cascade_tree(company=company, cycle=cycle)
    assert len(tree) == 3 and all((node.team_name, node.team_kind) == ("Unternehmen", "company") for node in tree)
    below = [node for node in walk(tree) if node.depth > 0]
    assert 6 <= len(below) <= 8 and {node.team_name for node in below} == {"Marketing", "Vertrieb"}
    assert sum(1 for node in walk(tree) if node.contributes_to) >= 2
    krs = {kr.title: kr for node in walk(tree) for kr in node.key_results}
    assert 18 <= len(krs) <= 22
    for title in [
        "Qualifizierte Leads aus den Fokussegmenten +18 % innerhalb von neun Monaten",
        "100 % des Marketingbudgets an strategische Key Results gebunden",
        "Aktive Marketinginitiativen −40 %",
        "Marketing-KPIs im Vorstandsreporting verankert",
    ]:
        assert title in krs, title
    assert krs["Marketing-KPIs im Vorstandsreporting verankert"].key_result.kind == "milestone"
    statuses = [kr.status for kr in krs.values()]
    assert statuses.count("red") == 1 and "amber" in statuses and "green" in statuses
    assert any(kr.ahead for kr in krs.values()) and any(not kr.ahead for kr in krs.values())
    assert any(kr.is_stale for kr in krs.values())
    weeks = CheckIn.objects.filter(key_result_id=krs["Aktive Marketinginitiativen −40 %"].key_result.pk).count()
    assert weeks >= 20
    assert all(kr.key_result.owner is not None for kr in krs.values())
