"""Progress, roll-up, status, filters, signature and the constant query count of cascade_tree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.permissions import Role
from objectives.models import Cycle, KeyResult, Objective, key_result_progress
from objectives.selectors import cascade as sel
from objectives.services import cascade as svc
from tests.factories_cascade import (
    CascadeSettingsFactory,
    CheckInFactory,
    CycleFactory,
    KeyResultFactory,
    ObjectiveFactory,
    ObjectiveLinkFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.mark.parametrize(
    ("kind", "start", "target", "current", "expected"),
    [
        ("increase_to", 10, 110, 60, D("0.5")),
        ("increase_to", 10, 110, None, D("0")),
        ("increase_to", 10, 110, 200, D("1")),
        ("increase_to", 10, 110, 0, D("0")),
        ("decrease_to", 100, 60, 90, D("0.25")),
        ("decrease_to", 100, 60, 50, D("1")),
        ("decrease_to", 100, 60, 120, D("0")),
        ("stay_above", 0, 80, 85, D("1")),
        ("stay_above", 0, 80, 79, D("0")),
        ("stay_below", 0, 5, 5, D("1")),
        ("stay_below", 0, 5, 6, D("0")),
        ("milestone", 0, 1, 1, D("1")),
        ("milestone", 0, 1, 0, D("0")),
        ("milestone", 0, 1, None, D("0")),
    ],
)
def test_key_result_progress_for_every_kind(kind, start, target, current, expected):
    assert key_result_progress(kind, D(start), D(target), None if current is None else D(current)) == expected


def test_expected_progress_and_status(company):
    cycle = CycleFactory(company=company, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 1, 11))
    assert sel.expected_progress(cycle=cycle, on=dt.date(2025, 12, 1)) == 0
    assert sel.expected_progress(cycle=cycle, on=dt.date(2026, 1, 1)) == 0
    assert sel.expected_progress(cycle=cycle, on=dt.date(2026, 1, 6)) == D("0.5")
    assert sel.expected_progress(cycle=cycle, on=dt.date(2026, 2, 1)) == 1
    assert sel.score_status(company=company, score=D("0.39")) == ("red", "At risk")
    assert sel.score_status(company=company, score=D("0.4")) == ("amber", "Behind")
    assert sel.score_status(company=company, score=D("0.7")) == ("green", "On track")
    company.score_green_from = D("0.9")
    assert sel.score_status(company=company, score=D("0.8"))[0] == "amber"


def _ended_cycle(company, **kwargs):
    """A cycle that ended yesterday: expected progress 1, so status is the plain score."""
    today = timezone.localdate()
    return CycleFactory(
        company=company, start_date=today - dt.timedelta(days=100), end_date=today - dt.timedelta(days=1), **kwargs
    )


def test_rollup_modes_weighted_mean_and_unmeasured(company):
    cycle = _ended_cycle(company)
    parent = ObjectiveFactory(cycle=cycle, title="Parent", rollup=Objective.Rollup.WITH_CHILDREN)
    KeyResultFactory(objective=parent, weight=3, current_value=D("100"))  # 1.0, weight 3
    KeyResultFactory(objective=parent, weight=1, current_value=D("20"))  # 0.2, weight 1
    child = ObjectiveFactory(cycle=cycle, title="Child", parent=parent, rollup=Objective.Rollup.KEY_RESULTS)
    KeyResultFactory(objective=child, current_value=D("0"))
    grandchild = ObjectiveFactory(cycle=cycle, title="Grandchild", parent=child)
    KeyResultFactory(objective=grandchild, current_value=D("100"))
    empty = ObjectiveFactory(cycle=cycle, title="Empty", parent=parent, rollup=Objective.Rollup.KEY_RESULTS)
    [root] = sel.cascade_tree(company=company, cycle=cycle)
    by_title = {n.title: n for n in sel.walk([root])}
    assert by_title["Grandchild"].depth == 2
    # child: KRs only -> 0; its subtree: (0 + 1.0) / 2
    assert by_title["Child"].progress == 0
    assert by_title["Child"].subtree_progress == D("0.5")
    assert by_title["Empty"].progress == 0 and not by_title["Empty"].is_measured
    assert "No key results yet" in by_title["Empty"].progress_note
    # parent own: (3*1 + 1*0.2) / 4 = 0.8; with children (weight 1 each): (3 + 0.2 + 0 + 0) / 6
    assert root.own_progress == D("0.8")
    assert root.progress == (D("3.2") / 6).quantize(D("0.0001"))
    # subtree: (3 + 0.2 + child's subtree 0.5 + empty 0) / 6
    assert root.subtree_progress == (D("3.7") / 6).quantize(D("0.0001"))
    Objective.objects.filter(pk=parent.pk).update(rollup=Objective.Rollup.KEY_RESULTS)
    [root] = sel.cascade_tree(company=company, cycle=cycle)
    assert root.progress == D("0.8") and root.status == "green" and root.status_label == "On track"
    assert empty.pk in {n.id for n in sel.walk([root])}


def test_status_compares_progress_with_the_expected_pace(company):
    today = timezone.localdate()
    cycle = CycleFactory(company=company, start_date=today - dt.timedelta(days=50), end_date=today + dt.timedelta(50))
    objective = ObjectiveFactory(cycle=cycle)
    KeyResultFactory(objective=objective, title="ahead", current_value=D("60"))
    KeyResultFactory(objective=objective, title="behind", current_value=D("25"))
    KeyResultFactory(objective=objective, title="at risk", current_value=D("10"))
    [node] = sel.cascade_tree(company=company, cycle=cycle)
    krs = {kr.title: kr for kr in node.key_results}
    assert node.expected == D("0.5")
    assert (krs["ahead"].status, krs["ahead"].ahead, krs["ahead"].delta_vs_expected) == ("green", True, D("0.1"))
    assert (krs["behind"].status, krs["behind"].status_label, krs["behind"].ahead) == ("amber", "Behind", False)
    assert krs["at risk"].status == "red"


def test_closed_cycle_shows_frozen_scores(company):
    cycle = CycleFactory(company=company, state=Cycle.State.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle)
    kr = KeyResultFactory(objective=objective, current_value=D("50"))
    svc.cycle_close(cycle=cycle, actor=None)
    KeyResult.objects.filter(pk=kr.pk).update(current_value=D("90"))  # a direct write cannot change history
    [node] = sel.cascade_tree(company=company, cycle=Cycle.objects.get(pk=cycle.pk))
    assert node.progress == D("0.5") and node.key_results[0].progress == D("0.5")
    assert not node.key_results[0].is_stale


def test_filters_keep_matches_and_their_ancestors(company, make_member, teams):
    cycle = CycleFactory(company=company)
    anna = make_member(company)
    top = ObjectiveFactory(cycle=cycle, title="Company growth", team="company")
    sales = ObjectiveFactory(cycle=cycle, title="Sales pipeline", team="sales", parent=top)
    marketing = ObjectiveFactory(cycle=cycle, title="Brand", team="marketing", parent=top, position=1)
    KeyResultFactory(objective=marketing, title="Webinar leads", owner=anna)
    ObjectiveFactory(cycle=cycle, title="Other top", team="company", position=1)
    [root] = sel.cascade_tree(company=company, cycle=cycle, team=teams["sales"].pk)
    assert root.id == top.pk and not root.matches and [c.id for c in root.children] == [sales.pk]
    [root] = sel.cascade_tree(company=company, cycle=cycle, owner_id=anna.pk)
    assert [c.id for c in root.children] == [marketing.pk]
    [root] = sel.cascade_tree(company=company, cycle=cycle, search="WEBINAR")
    assert [c.title for c in root.children] == ["Brand"]
    assert sel.cascade_tree(company=company, cycle=cycle, search="nothing like this") == []
    assert len(sel.cascade_tree(company=company, cycle=cycle, team=teams["company"].pk)) == 2


def test_contributes_to_and_other_company_isolation(company, other_company):
    cycle = CycleFactory(company=company)
    a = ObjectiveFactory(cycle=cycle, title="A")
    b = ObjectiveFactory(cycle=cycle, title="B", position=1)
    ObjectiveLinkFactory(source=b, target=a)
    nodes = sel.cascade_tree(company=company, cycle=cycle)
    assert nodes[1].contributes_to == [(a.pk, "A")]
    assert sel.cascade_tree(company=other_company, cycle=cycle) == []
    with pytest.raises(Http404):
        sel.cycle_get(company=other_company, cycle_id=cycle.pk)
    with pytest.raises(Http404):
        sel.objective_get(company=other_company, objective_id=a.pk)


def _build(company, cycle, count, users):
    objectives = []
    for index in range(count):
        parent = objectives[index // 4] if index >= 4 and index // 4 < len(objectives) else None
        objective = ObjectiveFactory(cycle=cycle, parent=parent, owner=users[index % len(users)], position=index)
        objectives.append(objective)
    KeyResult.objects.bulk_create(
        [
            KeyResult(company=company, objective=o, title=f"KR {o.pk}", target_value=10, current_value=3, owner=o.owner)
            for o in objectives
            for _ in range(2)
        ]
    )
    for first, second in zip(objectives[::7], objectives[3::7], strict=False):
        if first.pk != second.pk and first.parent_id != second.pk and second.parent_id != first.pk:
            ObjectiveLinkFactory(source=first, target=second)


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def test_cascade_tree_runs_the_same_few_queries_for_10_and_500_objectives(company, make_member):
    users = [make_member(company) for _ in range(5)]
    small, large = CycleFactory(company=company, name="small"), CycleFactory(company=company, name="large")
    _build(company, small, 10, users)
    _build(company, large, 500, users)
    counts = []
    for cycle in (small, large):
        cycle = Cycle.objects.get(pk=cycle.pk)
        counts.append(_queries(lambda c=cycle: list(sel.walk(sel.cascade_tree(company=company, cycle=c)))))
    assert counts[0] == counts[1] <= 4, counts  # reminder setting, objectives, key results, alignments
    assert sum(1 for _ in sel.walk(sel.cascade_tree(company=company, cycle=large))) == 500
    assert _queries(lambda: sel.cascade_signature(company=company, cycle=large)) == 1


def test_signature_changes_with_every_kind_of_change(company):
    cycle = CycleFactory(company=company)
    seen = [sel.cascade_signature(company=company, cycle=cycle)]

    def changed():
        signature = sel.cascade_signature(company=company, cycle=cycle)
        assert signature not in seen
        seen.append(signature)

    a = svc.objective_create(cycle=cycle, title="A", actor=None)
    changed()
    b = svc.objective_create(cycle=cycle, title="B", actor=None)
    changed()
    kr = svc.key_result_create(objective=a, title="K", kind="increase_to", target_value=10, actor=None)
    changed()
    svc.objective_links_set(objective=b, targets=[a], actor=None)
    changed()
    svc.check_in_create(key_result=kr, value=3, confidence="0.5", actor=None)
    changed()
    b.refresh_from_db()
    svc.objective_delete(objective=b, version=b.version, actor=None)
    changed()
    svc.cycle_activate(cycle=cycle, actor=None)
    changed()
    assert sel.cascade_signature(company=company, cycle=cycle) == seen[-1]


def test_cycle_default(company):
    today = timezone.localdate()
    assert sel.cycle_default(company=company) is None
    old = CycleFactory(company=company, name="old", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 12, 31))
    assert sel.cycle_default(company=company) == old
    planning = CycleFactory(company=company, name="plan", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 1))
    assert sel.cycle_default(company=company) == planning
    active = CycleFactory(
        company=company,
        name="now",
        state=Cycle.State.ACTIVE,
        start_date=today - dt.timedelta(days=5),
        end_date=today + dt.timedelta(days=5),
    )
    assert sel.cycle_default(company=company) == active


def test_my_key_results_stale_first_and_history(company, make_member):
    user = make_member(company, Role.MEMBER)
    CascadeSettingsFactory(company=company, reminder_after_days=10)
    cycle = CycleFactory(company=company, state=Cycle.State.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle)
    now = timezone.now()
    fresh = KeyResultFactory(objective=objective, owner=user, title="fresh", last_check_in_at=now, position=0)
    eight_days = KeyResultFactory(
        objective=objective, owner=user, title="8 days", last_check_in_at=now - dt.timedelta(days=8), position=1
    )
    stale = KeyResultFactory(
        objective=objective, owner=user, title="stale", last_check_in_at=now - dt.timedelta(days=11), position=2
    )
    KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company, state="closed")), owner=user)
    KeyResultFactory(objective=objective)  # someone else's
    result = sel.my_key_results(company=company, user=user)
    assert [n.title for n in result] == ["stale", "fresh", "8 days"]
    assert [n.is_stale for n in result] == [True, False, False]
    CheckInFactory(key_result=stale, value=1, created_at=now - dt.timedelta(days=2))
    CheckInFactory(key_result=stale, value=2, created_at=now - dt.timedelta(days=1))
    assert [c.value for c in sel.key_result_history(key_result=stale)] == [1, 2]
    assert {fresh.pk, eight_days.pk} < {n.id for n in result}


def test_tree_rows_carry_the_model_fields_and_owner_names(company, make_member):
    cycle = CycleFactory(company=company)
    anna = make_member(company, first_name="Anna", last_name="Berg")
    objective = ObjectiveFactory(cycle=cycle, owner=anna, title="Pipeline", description="Mehr SQLs")
    KeyResultFactory(objective=objective, owner=None, kind=KeyResult.Kind.MILESTONE, target_value=Decimal("1"))
    [node] = sel.cascade_tree(company=company, cycle=Cycle.objects.get(pk=cycle.pk))
    model = Objective.objects.get(pk=objective.pk)
    for name in ("pk", "title", "description", "team_id", "owner_id", "state", "rollup", "version", "parent_id"):
        assert getattr(node.objective, name) == getattr(model, name), name
    owner = node.owner
    assert (owner.get_full_name(), owner.get_username(), owner.pk) == ("Anna Berg", anna.username, anna.pk)
    [kr] = node.key_results
    assert kr.key_result.owner is None and kr.key_result.get_kind_display() == "Milestone"
    assert kr.key_result.progress == KeyResult.objects.get(pk=kr.key_result.pk).progress
