"""Rules of the cascade services: positions, moves, loops, depth, cycle windows, locks, versions, carry-over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.permissions import Role
from core.errors import PermissionDenied, StaleVersion
from objectives.models import CheckIn, Cycle, KeyResult, Objective, ObjectiveLink
from objectives.services import cascade as svc
from tests.factories_cascade import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="FY 2026")


@pytest.fixture
def facilitator(company, make_member):
    return make_member(company, Role.FACILITATOR, first_name="Lena", last_name="Berger")


def titles(qs):
    return [o.title for o in qs.order_by("position", "id")]


def create(cycle, title, actor, **kwargs):
    return svc.objective_create(cycle=cycle, title=title, actor=actor, **kwargs)


def test_create_positions_after_sibling_and_team_defaults(cycle, facilitator):
    a = create(cycle, "A", facilitator)
    b = create(cycle, "B", facilitator)
    c = create(cycle, "C", facilitator, after=a)
    assert titles(Objective.objects.filter(cycle=cycle, parent=None)) == ["A", "C", "B"]
    assert [o.position for o in Objective.objects.filter(cycle=cycle).order_by("position")] == [0, 1, 2]
    assert (a.team.name, a.team.kind) == ("Unternehmen", "company")  # the company level's team at the top
    child = create(cycle, "A.1", facilitator, parent=a, team="Vertrieb")
    grandchild = create(cycle, "A.1.1", facilitator, parent=child)
    assert grandchild.team == child.team and child.team.kind == "sales"  # a child keeps its parent's team
    assert child.updated_by == facilitator
    assert b.version == 1 and c.version == 1


def test_create_refuses_empty_title_and_foreign_owner(cycle, facilitator, other_company, make_member):
    with pytest.raises(ValidationError) as exc:
        create(cycle, "   ", facilitator)
    assert "title" in exc.value.message_dict
    stranger = make_member(other_company)
    with pytest.raises(ValidationError) as exc:
        create(cycle, "X", facilitator, owner=stranger)
    assert "owner" in exc.value.message_dict
    assert not Objective.objects.exists()


def test_update_bumps_version_and_refuses_stale_version(cycle, facilitator, company, make_member):
    objective = create(cycle, "Old", facilitator)
    updated = svc.objective_update(objective=objective, version=1, actor=facilitator, title="New")
    assert updated.version == 2
    other = make_member(company, Role.CMO)
    with pytest.raises(StaleVersion) as exc:
        svc.objective_update(objective=objective, version=1, actor=other, title="Mine")
    data = exc.value.as_dict()
    assert data["changed_by"] == "Lena Berger"
    assert data["current"]["title"] == "New"
    assert data["current"]["version"] == 2
    assert exc.value.status == 409
    assert Objective.objects.get().title == "New"


def test_update_refuses_unknown_field(cycle, facilitator):
    objective = create(cycle, "A", facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.objective_update(objective=objective, version=1, actor=facilitator, parent=None)
    assert "parent" in exc.value.message_dict


def test_move_reorders_and_reparents_and_renumbers(cycle, facilitator):
    a, b, c = (create(cycle, t, facilitator) for t in "ABC")
    svc.objective_move(objective=c, version=1, parent=None, position=0, actor=facilitator)
    assert titles(Objective.objects.filter(parent=None)) == ["C", "A", "B"]
    moved = svc.objective_move(objective=a, version=1, parent=b, position=0, actor=facilitator)
    assert moved.parent == b and moved.version == 3 - 1  # one edit: version 2
    assert [(o.title, o.position) for o in Objective.objects.filter(parent=None).order_by("position")] == [
        ("C", 0),
        ("B", 1),
    ]


def test_move_refuses_loops_through_parents_and_alignments(cycle, facilitator):
    a = create(cycle, "Grow", facilitator)
    b = create(cycle, "Leads", facilitator, parent=a)
    c = create(cycle, "Webinars", facilitator, parent=b)
    with pytest.raises(ValidationError) as exc:
        svc.objective_move(objective=a, version=1, parent=c, position=0, actor=facilitator)
    assert "loop" in exc.value.message_dict["parent"][0]
    with pytest.raises(ValidationError):
        svc.objective_move(objective=a, version=1, parent=a, position=0, actor=facilitator)
    d = create(cycle, "Brand", facilitator)
    svc.objective_links_set(objective=d, targets=[c], actor=facilitator)  # d contributes to c
    c.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        svc.objective_move(objective=c, version=c.version, parent=d, position=0, actor=facilitator)
    assert "loop" in str(exc.value)
    assert Objective.objects.get(pk=c.pk).parent_id == b.pk


def test_depth_is_limited_to_six_levels(cycle, facilitator):
    parent = None
    chain = []
    for level in range(1, 7):
        parent = create(cycle, f"L{level}", facilitator, parent=parent)
        chain.append(parent)
    with pytest.raises(ValidationError) as exc:
        create(cycle, "L7", facilitator, parent=parent)
    assert "at most 6 levels" in exc.value.message_dict["parent"][0]
    side = create(cycle, "Side", facilitator)
    create(cycle, "Side child", facilitator, parent=side)
    with pytest.raises(ValidationError) as exc:  # a two-level subtree under level 5 would reach level 7
        svc.objective_move(objective=side, version=1, parent=chain[4], position=0, actor=facilitator)
    assert "level 7" in exc.value.message_dict["parent"][0]


def test_child_cycle_must_lie_within_parent_cycle(company, facilitator):
    year = CycleFactory(company=company, name="2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    quarter = CycleFactory(company=company, name="Q1", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31))
    later = CycleFactory(company=company, name="Q1 27", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31))
    top = create(year, "Year goal", facilitator)
    q_child = create(quarter, "Quarter goal", facilitator, parent=top)
    assert q_child.parent == top
    with pytest.raises(ValidationError) as exc:
        create(later, "Too late", facilitator, parent=top)
    assert "covers its own dates" in exc.value.message_dict["parent"][0]
    quarter_top = create(quarter, "Q top", facilitator)
    with pytest.raises(ValidationError):  # a yearly objective cannot hang below a quarterly one
        create(year, "Year under quarter", facilitator, parent=quarter_top)


def test_other_company_parent_is_refused(cycle, facilitator, other_company):
    foreign = ObjectiveFactory(cycle=CycleFactory(company=other_company))
    with pytest.raises(ValidationError) as exc:
        create(cycle, "X", facilitator, parent=foreign.pk)
    assert "parent" in exc.value.message_dict


def test_indent_and_outdent(cycle, facilitator):
    a, b, c = (create(cycle, t, facilitator) for t in "ABC")
    svc.objective_indent(objective=b, version=1, actor=facilitator)
    svc.objective_indent(objective=c, version=1, actor=facilitator)  # c under a (b left the top level)
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.parent == a and c.parent == a and (b.position, c.position) == (0, 1)
    with pytest.raises(ValidationError):
        svc.objective_indent(objective=b, version=b.version, actor=facilitator)  # no sibling above
    svc.objective_indent(objective=c, version=c.version, actor=facilitator)
    c.refresh_from_db()
    assert c.parent == b
    svc.objective_outdent(objective=c, version=c.version, actor=facilitator)
    c.refresh_from_db()
    assert c.parent == a and [o.title for o in Objective.objects.filter(parent=a).order_by("position")] == ["B", "C"]
    svc.objective_outdent(objective=c, version=c.version, actor=facilitator)
    assert titles(Objective.objects.filter(parent=None)) == ["A", "C"]
    with pytest.raises(ValidationError):
        svc.objective_outdent(objective=a, version=1, actor=facilitator)


def test_delete_refuses_children_and_removes_key_results(cycle, facilitator):
    a = create(cycle, "A", facilitator)
    child = create(cycle, "A1", facilitator, parent=a)
    svc.key_result_create(objective=child, title="KR", kind="increase_to", target_value=10, actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.objective_delete(objective=a, version=1, actor=facilitator)
    assert "child objectives" in exc.value.messages[0]
    child.refresh_from_db()
    svc.objective_delete(objective=child, version=child.version, actor=facilitator)
    assert not KeyResult.objects.exists()
    svc.objective_delete(objective=a, version=1, actor=facilitator)
    assert not Objective.objects.exists()


@pytest.mark.parametrize("state", [Cycle.State.ACTIVE, Cycle.State.CLOSED])
def test_structure_is_locked_outside_planning(company, facilitator, state):
    cycle = CycleFactory(company=company)
    a = ObjectiveFactory(cycle=cycle, title="A")
    b = ObjectiveFactory(cycle=cycle, title="B", position=1)
    kr = KeyResultFactory(objective=a)
    Cycle.objects.filter(pk=cycle.pk).update(state=state)
    cycle.refresh_from_db()
    attempts = [
        lambda: create(cycle, "New", facilitator),
        lambda: svc.objective_move(objective=b, version=1, parent=a, position=0, actor=facilitator),
        lambda: svc.objective_delete(objective=b, version=1, actor=facilitator),
        lambda: svc.objective_links_set(objective=b, targets=[a], actor=facilitator),
        lambda: svc.key_result_create(objective=a, title="K", kind="milestone", actor=facilitator),
        lambda: svc.key_result_update(key_result=kr, version=1, actor=facilitator, target_value=50),
        lambda: svc.key_result_delete(key_result=kr, version=1, actor=facilitator),
        lambda: svc.key_result_move(key_result=kr, version=1, objective=b, position=0, actor=facilitator),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert cycle.name in exc.value.messages[0]
    assert Objective.objects.count() == 2 and KeyResult.objects.get().target_value == Decimal("100")
    if state == Cycle.State.ACTIVE:  # titles, owners and confidence stay editable
        svc.objective_update(objective=a, version=1, actor=facilitator, title="Renamed", state="committed")
        svc.key_result_update(key_result=kr, version=1, actor=facilitator, title="KR renamed", confidence="0.8")
        assert KeyResult.objects.get().confidence == Decimal("0.8")
    else:
        with pytest.raises(ValidationError):
            svc.objective_update(objective=a, version=1, actor=facilitator, title="Renamed")


def test_links_set_replaces_and_refuses_self_loops_and_other_company(cycle, facilitator, other_company):
    a, b, c = (create(cycle, t, facilitator) for t in "ABC")
    svc.objective_links_set(objective=c, targets=[a, b], actor=facilitator)
    assert set(ObjectiveLink.objects.filter(source=c).values_list("target__title", flat=True)) == {"A", "B"}
    svc.objective_links_set(objective=c, targets=[b.pk], actor=facilitator)
    assert list(ObjectiveLink.objects.filter(source=c).values_list("target__title", flat=True)) == ["B"]
    with pytest.raises(ValidationError):
        svc.objective_links_set(objective=c, targets=[c], actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.objective_links_set(objective=b, targets=[c], actor=facilitator)
    assert "loop" in str(exc.value)
    foreign = ObjectiveFactory(cycle=CycleFactory(company=other_company))
    with pytest.raises(ValidationError):
        svc.objective_links_set(objective=a, targets=[foreign], actor=facilitator)
    assert Objective.objects.get(pk=c.pk).version == 3
    svc.objective_links_set(objective=c, targets=[], actor=facilitator)
    assert not ObjectiveLink.objects.filter(source=c).exists()


def test_key_result_create_validates_direction_weight_confidence(cycle, facilitator):
    objective = create(cycle, "A", facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.key_result_create(
            objective=objective, title="Leads", kind="increase_to", start_value=10, target_value=5, actor=facilitator
        )
    assert "target_value" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.key_result_create(
            objective=objective, title="Cost", kind="decrease_to", start_value=5, target_value=10, actor=facilitator
        )
    assert "target_value" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.key_result_create(objective=objective, title="W", kind="increase_to", target_value=5, weight=0, actor=None)
    assert "weight" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.key_result_create(
            objective=objective, title="C", kind="increase_to", target_value=5, confidence="1.5", actor=None
        )
    assert "confidence" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.key_result_create(objective=objective, title="N", kind="increase_to", target_value="abc", actor=None)
    assert "target_value" in exc.value.message_dict
    milestone = svc.key_result_create(objective=objective, title="Board", kind="milestone", actor=facilitator)
    assert (milestone.start_value, milestone.target_value) == (0, 1)
    assert KeyResult.objects.count() == 1


def test_key_result_move_between_objectives(cycle, facilitator):
    a, b = create(cycle, "A", facilitator), create(cycle, "B", facilitator)
    k1 = svc.key_result_create(objective=a, title="K1", kind="milestone", actor=facilitator)
    k2 = svc.key_result_create(objective=a, title="K2", kind="milestone", actor=facilitator)
    k3 = svc.key_result_create(objective=b, title="K3", kind="milestone", actor=facilitator)
    svc.key_result_move(key_result=k1, version=1, objective=b, position=0, actor=facilitator)
    assert [(k.title, k.position) for k in KeyResult.objects.filter(objective=b).order_by("position")] == [
        ("K1", 0),
        ("K3", 1),
    ]
    assert KeyResult.objects.get(pk=k2.pk).position == 0
    svc.key_result_move(key_result=k3, version=1, objective=b, position=0, actor=facilitator)
    assert [k.title for k in KeyResult.objects.filter(objective=b).order_by("position")] == ["K3", "K1"]


def test_key_result_update_stale_version(cycle, facilitator):
    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="increase_to", target_value=10, actor=facilitator)
    svc.key_result_update(key_result=kr, version=1, actor=facilitator, target_value="20")
    with pytest.raises(StaleVersion) as exc:
        svc.key_result_update(key_result=kr, version=1, actor=facilitator, target_value="30")
    assert exc.value.as_dict()["current"]["target_value"] == "20.0000"


def test_key_result_with_approved_budget_cannot_be_deleted(cycle, facilitator, monkeypatch):
    from django.db.models import ProtectedError

    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="milestone", actor=facilitator)

    def refuse(self, *args, **kwargs):
        raise ProtectedError("protected", set())

    monkeypatch.setattr(KeyResult, "delete", refuse)
    with pytest.raises(ValidationError) as exc:
        svc.key_result_delete(key_result=kr, version=1, actor=facilitator)
    assert exc.value.messages == ["This key result carries approved budget and cannot be deleted."]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.FACILITATOR, True), (Role.CMO, True), (Role.EXECUTIVE, False), (Role.MEMBER, False)],
)
def test_cascade_edit_permission_per_role(cycle, company, make_member, role, allowed):
    actor = make_member(company, role)
    if allowed:
        assert create(cycle, "A", actor).pk
    else:
        with pytest.raises(PermissionDenied):
            create(cycle, "A", actor)


def test_non_member_cannot_edit(cycle, other_company, make_member):
    with pytest.raises(PermissionDenied):
        create(cycle, "A", make_member(other_company, Role.FACILITATOR))


# ---------------------------------------------------------------------------------------------------- check-ins


def test_check_in_updates_current_value_and_is_append_only(cycle, company, make_member):
    owner = make_member(company, Role.MEMBER)
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), owner=owner)
    first = svc.check_in_create(key_result=kr, value="40", confidence="0.6", comment="ok", actor=owner)
    kr.refresh_from_db()
    assert kr.current_value == Decimal("40") and kr.confidence == Decimal("0.6") and kr.version == 1
    assert kr.last_check_in_at == first.created_at
    older = first.created_at - dt.timedelta(days=3)
    svc.check_in_create(key_result=kr, value="10", confidence="0.2", actor=owner, at=older)
    kr.refresh_from_db()
    assert kr.current_value == Decimal("40")  # the newest check-in stays the current value
    with pytest.raises(ValueError, match="append-only"):
        first.save()
    with pytest.raises(ValueError, match="append-only"):
        first.delete()
    with pytest.raises(ValueError, match="append-only"):
        CheckIn.objects.filter(pk=first.pk).update(value=1)
    with pytest.raises(ValueError, match="append-only"):
        CheckIn.objects.all().delete()
    assert CheckIn.objects.count() == 2


def test_check_in_permissions(cycle, company, make_member):
    owner = make_member(company, Role.MEMBER)
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), owner=owner)
    for role in (Role.MEMBER, Role.EXECUTIVE):
        with pytest.raises(PermissionDenied):
            svc.check_in_create(key_result=kr, value=1, confidence="0.5", actor=make_member(company, role))
    svc.check_in_create(key_result=kr, value=1, confidence="0.5", actor=make_member(company, Role.CMO))
    svc.check_in_create(key_result=kr, value=2, confidence="0.5", actor=make_member(company, Role.FACILITATOR))
    assert CheckIn.objects.count() == 2


def test_check_in_refused_in_closed_cycle_and_validated(company, facilitator):
    cycle = CycleFactory(company=company, state=Cycle.State.ACTIVE)
    milestone = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), kind="milestone", target_value=1)
    with pytest.raises(ValidationError) as exc:
        svc.check_in_create(key_result=milestone, value="0.5", confidence="0.5", actor=facilitator)
    assert "value" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.check_in_create(key_result=milestone, value="1", confidence="2", actor=facilitator)
    assert "confidence" in exc.value.message_dict
    svc.check_in_create(key_result=milestone, value="1", confidence="1", actor=facilitator)
    svc.cycle_close(cycle=cycle, actor=facilitator)
    with pytest.raises(ValidationError):
        svc.check_in_create(key_result=milestone, value="1", confidence="1", actor=facilitator)
    assert CheckIn.objects.count() == 1


# ------------------------------------------------------------------------------------------------------ cycles


def test_cycle_lifecycle_and_final_scores(company, facilitator):
    cycle = svc.cycle_create(
        company=company,
        name="Q1 2026",
        kind="quarter",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        actor=facilitator,
    )
    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="increase_to", target_value=10, actor=facilitator)
    with pytest.raises(ValidationError):
        svc.cycle_close(cycle=cycle, actor=facilitator)
    svc.cycle_activate(cycle=cycle, actor=facilitator)
    svc.cycle_reopen(cycle=cycle, actor=facilitator)
    svc.cycle_activate(cycle=cycle, actor=facilitator)
    svc.check_in_create(key_result=kr, value=7, confidence="0.7", actor=facilitator)
    closed = svc.cycle_close(cycle=cycle, actor=facilitator)
    assert closed.state == Cycle.State.CLOSED and closed.closed_at is not None
    kr.refresh_from_db()
    objective.refresh_from_db()
    assert kr.final_score == Decimal("0.7000") and objective.final_score == Decimal("0.7000")
    with pytest.raises(ValidationError):
        svc.cycle_reopen(cycle=cycle, actor=facilitator)
    with pytest.raises(ValidationError):
        svc.cycle_activate(cycle=cycle, actor=facilitator)


def test_cycle_create_validates_dates_parent_and_name(company, facilitator, make_member, other_company):
    year = svc.cycle_create(
        company=company,
        name="2026",
        kind="year",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        actor=facilitator,
    )
    kwargs = {"company": company, "kind": "quarter", "actor": facilitator}
    with pytest.raises(ValidationError) as exc:
        svc.cycle_create(name="Bad", start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 1, 1), **kwargs)
    assert "end_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.cycle_create(
            name="Q1 27", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31), parent=year, **kwargs
        )
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.cycle_create(name="2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31), **kwargs)
    assert "name" in exc.value.message_dict
    q1 = svc.cycle_create(
        name="Q1", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31), parent=year, **kwargs
    )
    assert q1.parent == year
    with pytest.raises(PermissionDenied):
        svc.cycle_activate(cycle=q1, actor=make_member(company, Role.EXECUTIVE))


def test_carry_over_copies_unfinished_objectives_with_current_as_start(company, facilitator):
    source = CycleFactory(company=company, name="Q1", state=Cycle.State.ACTIVE)
    target = CycleFactory(company=company, name="Q2")
    done = ObjectiveFactory(cycle=source, title="Done")
    KeyResultFactory(objective=done, current_value=Decimal("100"))
    open_parent = ObjectiveFactory(cycle=source, title="Open parent", position=1)
    open_child = ObjectiveFactory(cycle=source, title="Open child", parent=open_parent)
    KeyResultFactory(objective=open_child, title="Leads", start_value=10, target_value=110, current_value=60)
    KeyResultFactory(objective=open_child, title="Finished", start_value=0, target_value=5, current_value=5)
    KeyResultFactory(objective=open_child, title="Milestone", kind="milestone", target_value=1, current_value=0)
    created = svc.cycle_carry_over(source=source, target=target, actor=facilitator)
    assert [o.title for o in created] == ["Open parent", "Open child"]
    child = Objective.objects.get(cycle=target, title="Open child")
    assert child.parent.title == "Open parent" and child.parent.cycle == target
    assert child.carried_from == open_child
    leads = child.key_results.get(title="Leads")
    assert (leads.start_value, leads.target_value, leads.current_value) == (Decimal("60"), Decimal("110"), None)
    assert set(child.key_results.values_list("title", flat=True)) == {"Leads", "Milestone"}
    again = svc.cycle_carry_over(source=source, target=target, actor=facilitator)
    assert again == []  # never copied twice
    chosen = svc.cycle_carry_over(source=source, target=target, objective_ids=[done.pk], actor=facilitator)
    assert [o.title for o in chosen] == ["Done"]
    assert chosen[0].key_results.get().start_value == Decimal("0")  # finished KR keeps its original start


def test_carry_over_refuses_active_target_and_unknown_ids(company, facilitator):
    source = CycleFactory(company=company, name="Q1")
    target = CycleFactory(company=company, name="Q2", state=Cycle.State.ACTIVE)
    with pytest.raises(ValidationError) as exc:
        svc.cycle_carry_over(source=source, target=target, actor=facilitator)
    assert "target" in exc.value.message_dict
    Cycle.objects.filter(pk=target.pk).update(state=Cycle.State.PLANNING)
    with pytest.raises(ValidationError) as exc:
        svc.cycle_carry_over(source=source, target=target, objective_ids=[999999], actor=facilitator)
    assert "objective_ids" in exc.value.message_dict


def test_database_refuses_to_rewrite_a_check_in_but_a_planning_delete_of_the_key_result_works(cycle, facilitator):
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, connection, transaction

    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="increase_to", target_value=10, actor=facilitator)
    check_in = svc.check_in_create(key_result=kr, value=3, confidence="0.5", actor=facilitator)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE objectives_checkin SET value = 9 WHERE id = %s", [check_in.pk])
    assert CheckIn.objects.get().value == 3
    get_user_model().objects.filter(pk=facilitator.pk).delete()  # SET_NULL on the author still works
    assert CheckIn.objects.get().author is None
    kr.refresh_from_db()
    svc.key_result_delete(key_result=kr, version=kr.version, actor=None)
    assert not CheckIn.objects.exists()


def test_outdent_from_a_parent_in_another_cycle_lands_on_the_own_top_level(company, facilitator):
    year = CycleFactory(company=company, name="Year", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    quarter = CycleFactory(company=company, name="Q1", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31))
    create(year, "Y1", facilitator)
    y2 = create(year, "Y2", facilitator)
    q_top = create(quarter, "Q top", facilitator)
    q_child = create(quarter, "Q child", facilitator, parent=y2)
    svc.objective_outdent(objective=q_child, version=1, actor=facilitator)
    q_child.refresh_from_db()
    assert q_child.parent is None and q_child.cycle == quarter
    assert titles(Objective.objects.filter(cycle=quarter, parent=None)) == [q_top.title, "Q child"]


def test_key_result_with_measured_values_cannot_become_a_milestone(cycle, facilitator):
    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="increase_to", target_value=10, actor=facilitator)
    svc.check_in_create(key_result=kr, value=4, confidence="0.5", actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.key_result_update(key_result=kr, version=1, actor=facilitator, kind="milestone")
    assert "kind" in exc.value.message_dict
    assert KeyResult.objects.get().kind == "increase_to"


def test_approved_budget_line_blocks_deleting_its_key_result_and_objective(cycle, facilitator, company, make_member):
    from django.utils import timezone

    from budgets.models import BudgetLine, Channel

    objective = create(cycle, "A", facilitator)
    kr = svc.key_result_create(objective=objective, title="K", kind="milestone", actor=facilitator)
    BudgetLine.objects.create(
        company=company,
        cycle=cycle,
        title="Messe",
        channel=Channel.objects.create(company=company, name="Events"),
        key_result=kr,
        planned_amount=Decimal("1000"),
        state="approved",
        requester=make_member(company, Role.MEMBER),
        approver=make_member(company, Role.CMO),
        approved_at=timezone.now(),
    )
    message = ["This key result carries approved budget and cannot be deleted."]
    with pytest.raises(ValidationError) as exc:
        svc.key_result_delete(key_result=kr, version=1, actor=facilitator)
    assert exc.value.messages == message
    objective.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        svc.objective_delete(objective=objective, version=objective.version, actor=facilitator)
    assert exc.value.messages == message
    assert KeyResult.objects.filter(pk=kr.pk).exists() and Objective.objects.filter(pk=objective.pk).exists()


def test_carry_over_keeps_alignments(company, facilitator):
    year = CycleFactory(company=company, name="2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    q1 = CycleFactory(company=company, name="Q1", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31))
    q2 = CycleFactory(company=company, name="Q2", start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 6, 30))
    yearly = ObjectiveFactory(cycle=year, title="Yearly")
    a = ObjectiveFactory(cycle=q1, title="A")
    b = ObjectiveFactory(cycle=q1, title="B", position=1)
    done = ObjectiveFactory(cycle=q1, title="Done", position=2)
    KeyResultFactory(objective=done, current_value=Decimal("100"))
    for target in (b, yearly, done):
        ObjectiveLink.objects.create(company=company, source=a, target=target)
    svc.cycle_carry_over(source=q1, target=q2, actor=facilitator)
    copy = Objective.objects.get(cycle=q2, title="A")
    assert sorted(copy.links_out.values_list("target__title", "target__cycle__name")) == [
        ("B", "Q2"),
        ("Yearly", "2026"),
    ]
