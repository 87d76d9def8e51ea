"""The approval workflow through the services: the binding gate, thresholds, self-approval, re-approval, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from budgets import services
from budgets.models import BudgetAuditEntry, BudgetLine
from core.errors import Conflict, PermissionDenied, StaleVersion
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import BudgetLineFactory

pytestmark = pytest.mark.django_db

RULE = "A budget line can only be approved once it is bound to a key result."


def snapshot(line):
    return {f.attname: getattr(line, f.attname) for f in BudgetLine._meta.concrete_fields}


def test_unbound_line_can_be_drafted_and_submitted_but_not_approved(world):
    line = world.line(bound=False)
    assert line.state == "submitted" and line.key_result_id is None
    before = snapshot(BudgetLine.objects.get(pk=line.pk))
    with pytest.raises(ValidationError) as exc:
        services.budget_line_approve(line=line, actor=world.cmo)
    assert exc.value.message_dict["key_result"] == [RULE]
    assert snapshot(BudgetLine.objects.get(pk=line.pk)) == before
    assert not BudgetAuditEntry.objects.filter(line=line, event="approve").exists()


def test_bound_line_is_approved_with_approver_time_and_audit(world):
    line = world.line()
    approved = services.budget_line_approve(line=line, actor=world.cmo)
    approved.refresh_from_db()
    assert approved.state == "approved"
    assert approved.approver == world.cmo and approved.approved_at is not None
    entry = BudgetAuditEntry.objects.get(line=line, event="approve")
    assert entry.actor == world.cmo
    assert entry.amount == Decimal("10000.00")
    assert entry.key_result_title == "500 qualifizierte Leads"
    assert (entry.state_before, entry.state_after) == ("submitted", "approved")


def test_key_result_of_another_company_is_refused(world, other_company):
    foreign = KeyResultFactory(objective__cycle__company=other_company, company=other_company)
    with pytest.raises(ValidationError) as exc:
        world.line(bound=False, key_result=foreign)
    assert "another company" in exc.value.message_dict["key_result"][0]
    line = world.line(bound=False)
    with pytest.raises(ValidationError):
        services.budget_line_bind(line=line, key_result=foreign, actor=world.cmo)


def test_key_result_whose_cycle_does_not_cover_the_line_is_refused_at_approval(world):
    q1 = CycleFactory(
        company=world.company, name="Q1 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31)
    )
    q1_kr = KeyResultFactory(objective=ObjectiveFactory(company=world.company, cycle=q1), company=world.company)
    line = world.line(bound=False)  # a line of the whole year
    services.budget_line_bind(line=line, key_result=q1_kr, actor=world.member)
    with pytest.raises(ValidationError) as exc:
        services.budget_line_approve(line=line, actor=world.cmo)
    assert "does not cover" in exc.value.message_dict["key_result"][0]
    # The other way round is fine: a Q1 line against a key result of the fiscal year.
    q1_line = world.line(cycle=q1)
    assert services.budget_line_approve(line=q1_line, actor=world.cmo).state == "approved"


def test_member_cannot_approve_and_nobody_approves_their_own_line(world):
    line = world.line()
    with pytest.raises(PermissionDenied):
        services.budget_line_approve(line=line, actor=world.member)
    own = world.line(requester=world.cmo, title="CMO's own")
    with pytest.raises(PermissionDenied) as exc:
        services.budget_line_approve(line=own, actor=world.cmo)
    assert "requested" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.budget_line_reject(line=own, actor=world.cmo, reason="no")
    own.refresh_from_db()
    assert own.state == "submitted"


def test_self_approval_is_refused_by_the_database(world):
    line = world.line()
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(
            state="approved", approver=world.member, approved_at=line.created_at
        )


def test_cmo_approves_up_to_the_limit_above_it_a_second_executive_step(world):
    at_limit = world.line(amount="50000.00", title="At the limit")
    assert services.budget_line_approve(line=at_limit, actor=world.cmo).state == "approved"

    above = world.line(amount="50000.01", title="Above the limit")
    step1 = services.budget_line_approve(line=above, actor=world.cmo)
    step1.refresh_from_db()
    assert step1.state == "submitted"
    assert step1.cmo_approved_by == world.cmo and step1.cmo_approved_at is not None
    assert BudgetAuditEntry.objects.filter(line=above, event="approve_cmo").count() == 1
    # A second CMO click is told what already happened.
    with pytest.raises(Conflict) as exc:
        services.budget_line_approve(line=above, actor=world.cmo)
    assert "executive must still approve" in exc.value.message

    step2 = services.budget_line_approve(line=above, actor=world.executive)
    assert step2.state == "approved" and step2.approver == world.executive
    assert step2.cmo_approved_by == world.cmo


def test_executive_may_approve_above_the_limit_directly(world):
    line = world.line(amount="120000.00")
    line = services.budget_line_approve(line=line, actor=world.executive)
    assert line.state == "approved" and line.cmo_approved_by is None


def test_limit_is_per_company_setting(world):
    services.budget_settings_update(company=world.company, cmo_approval_limit=Decimal("5000"), actor=world.executive)
    line = world.line(amount="6000.00")
    assert services.budget_line_approve(line=line, actor=world.cmo).state == "submitted"


def test_second_approver_is_told_who_decided_when(world):
    line = world.line()
    version = line.version
    services.budget_line_approve(line=line, actor=world.cmo, version=version)
    with pytest.raises(Conflict) as exc:
        services.budget_line_approve(line=line, actor=world.executive, version=version)
    assert exc.value.status == 409
    assert exc.value.message.startswith("Already approved by Markus Hoffmann at ")


def test_stale_edit_is_a_409(world):
    line = world.line()
    services.budget_line_update(line=line, actor=world.member, version=line.version, title="Neu")
    with pytest.raises(StaleVersion):
        services.budget_line_update(line=line, actor=world.member, version=line.version, title="Alt")


def test_changing_amount_or_key_result_of_an_approved_line_reopens_it(world):
    line = world.approved()
    line = services.budget_line_update(line=line, actor=world.member, planned_amount=Decimal("12000.00"))
    assert line.state == "submitted" and line.approver is None and line.approved_at is None
    events = list(BudgetAuditEntry.objects.filter(line=line).values_list("event", "state_before", "state_after"))
    # The change is recorded in the state it was made in; the reopen entry is the state change (an unbroken chain).
    assert events[-2:] == [("amount", "approved", "approved"), ("reopen", "approved", "submitted")]
    reopen = BudgetAuditEntry.objects.get(line=line, event="reopen")
    assert reopen.amount == Decimal("12000.00") and reopen.actor == world.member

    line = services.budget_line_approve(line=line, actor=world.cmo)
    other_kr = KeyResultFactory(objective=world.objective, company=world.company, title="Pipeline 2 Mio")
    line = services.budget_line_bind(line=line, key_result=other_kr, actor=world.cmo)
    assert line.state == "submitted"
    bind = BudgetAuditEntry.objects.filter(line=line, event="bind").last()
    assert bind.key_result_title == "Pipeline 2 Mio"

    # A title change keeps the approval.
    line = services.budget_line_approve(line=line, actor=world.executive)
    line = services.budget_line_update(line=line, actor=world.cmo, title="Messestand Hannover 2026")
    assert line.state == "approved"


def test_amount_change_voids_the_cmo_step_of_a_two_step_approval(world):
    line = world.line(amount="80000.00")
    services.budget_line_approve(line=line, actor=world.cmo)
    line = services.budget_line_update(line=line, actor=world.member, planned_amount=Decimal("90000.00"))
    assert line.cmo_approved_by is None and line.state == "submitted"


def test_reject_needs_a_reason_and_a_rejected_line_can_be_revised_and_resubmitted(world):
    line = world.line()
    with pytest.raises(ValidationError) as exc:
        services.budget_line_reject(line=line, actor=world.cmo, reason="  ")
    assert "reason" in exc.value.message_dict
    line = services.budget_line_reject(line=line, actor=world.cmo, reason="Kein Bezug zur Pipeline")
    assert line.state == "rejected"
    assert BudgetAuditEntry.objects.get(line=line, event="reject").reason == "Kein Bezug zur Pipeline"
    with pytest.raises(Conflict) as exc:
        services.budget_line_approve(line=line, actor=world.executive)
    assert "Already rejected by Markus Hoffmann" in exc.value.message
    line = services.budget_line_update(line=line, actor=world.member, planned_amount=Decimal("8000.00"))
    assert line.state == "rejected"
    line = services.budget_line_submit(line=line, actor=world.member)
    assert services.budget_line_approve(line=line, actor=world.cmo).state == "approved"


def test_member_edits_only_own_lines(world, make_member):
    colleague = make_member(world.company, username="colleague")
    line = world.line()
    with pytest.raises(PermissionDenied):
        services.budget_line_update(line=line, actor=colleague, title="Mine now")


def test_audit_log_is_append_only(world):
    line = world.approved()
    entry = BudgetAuditEntry.objects.filter(line=line).first()
    entry.reason = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    events = list(BudgetAuditEntry.objects.filter(line=line).values_list("event", "actor__username"))
    assert events == [("create", "member"), ("submit", "member"), ("approve", "cmo")]


def test_raw_queryset_update_to_approved_is_refused_by_the_database(world):
    line = world.line(bound=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(state="approved")
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(state="approved", approver=world.cmo, approved_at=line.created_at)
    line.refresh_from_db()
    assert line.state == "submitted"


def test_raw_sql_update_to_approved_is_refused_by_the_database(world):
    line = world.line(bound=False)
    table = BudgetLine._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = 'approved', approver_id = %s, approved_at = %s WHERE id = %s",
            [world.cmo.pk, line.created_at, line.pk],
        )
    line.refresh_from_db()
    assert line.state == "submitted"


def test_key_result_with_approved_budget_cannot_be_deleted(world):
    world.approved()
    with pytest.raises(ProtectedError):
        world.kr.delete()
    assert type(world.kr).objects.filter(pk=world.kr.pk).exists()


def test_deleting_a_key_result_unbinds_lines_that_are_not_approved(world):
    submitted = world.line(title="Waiting")
    draft = world.line(title="Draft", submit=False)
    world.kr.delete()
    for line in (submitted, draft):
        line.refresh_from_db()
        assert line.key_result_id is None
        entry = BudgetAuditEntry.objects.filter(line=line, event="bind").last()
        assert "500 qualifizierte Leads" in entry.reason
    assert submitted.state == "submitted"


def test_channels_are_seeded_once_per_company(world, other_company):
    names = [c.name for c in services.channels_ensure_defaults(company=other_company)]
    assert names[:5] == ["Events", "Paid Digital", "Content", "Messen", "Agenturen"]
    services.channel_update(
        channel=services.channels_ensure_defaults(company=other_company)[0], name="Events & Roadshows", actor=None
    )
    assert services.channels_ensure_defaults(company=other_company)[0].name == "Events & Roadshows"
    # world.company already has its own channel list: nothing is added.
    assert [c.name for c in services.channels_ensure_defaults(company=world.company)] == ["Messen"]


def test_spend_only_on_approved_lines(world):
    draft = world.line(submit=False)
    with pytest.raises(ValidationError) as exc:
        services.spend_entry_create(line=draft, date=dt.date(2026, 3, 1), amount=Decimal("10"), actor=world.cmo)
    assert "approved" in exc.value.message_dict["line"][0]
    line = world.approved()
    entry = services.spend_entry_create(
        line=line, date=dt.date(2026, 3, 1), amount=Decimal("1500.50"), reference="RE-1", actor=world.cmo
    )
    assert entry.company_id == world.company.pk
    with pytest.raises(PermissionDenied):
        services.spend_entry_create(line=line, date=dt.date(2026, 3, 1), amount=Decimal("1"), actor=world.member)


def test_factory_line_defaults_to_draft(world):
    line = BudgetLineFactory(company=world.company, cycle=world.cycle, channel=world.channel)
    assert line.state == "draft"


def test_audit_log_cannot_be_rewritten_by_bulk_orm_or_raw_sql(world):
    line = world.approved()
    with pytest.raises(ValueError):
        BudgetAuditEntry.objects.filter(line=line).update(reason="rewritten")
    with pytest.raises(ValueError):
        BudgetAuditEntry.objects.filter(line=line).delete()
    table = BudgetAuditEntry._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount = 1 WHERE line_id = %s", [line.pk])
    assert set(BudgetAuditEntry.objects.filter(line=line).values_list("amount", flat=True)) == {Decimal("10000.00")}


def test_deleting_a_key_result_keeps_the_audit_snapshot(world):
    line = world.line(title="Waiting")
    world.kr.delete()
    entries = BudgetAuditEntry.objects.filter(line=line).order_by("id")
    assert entries[0].key_result_id is None and entries[0].key_result_title == "500 qualifizierte Leads"
