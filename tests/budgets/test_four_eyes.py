"""Issue 12, finding 4: four eyes apply to the version. Whoever last changed a line's amount or key result may not
approve it (nor give its CMO step), and the CMO step and the executive step are two people — in the services, on
every interface, and in the database.

Before the fix an executive PATCHed a member's 1,000 € request to 750,000 € and approved it alone.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from budgets import services
from budgets.models import BudgetAuditEntry, BudgetLine
from companies.models import Membership
from companies.permissions import Role
from core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

OWN_VERSION = (
    "You last changed the amount or the key result of this version of the budget line; another person must approve it."
)
TWO_STEPS = "You gave the CMO approval of this budget line; the executive approval must come from another person."


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def line_url(world, line, suffix=""):
    return f"/api/v1/companies/{world.company.slug}/budget-lines/{line.pk}/{suffix}"


def page(world, suffix=""):
    return f"/c/{world.company.slug}/budgets/{suffix}"


@pytest.fixture
def second(world, make_member):
    """A second executive and a second CMO: the other pair of eyes."""
    return {
        "executive": make_member(world.company, Role.EXECUTIVE, username="exec2", first_name="Eva", last_name="Zweig"),
        "cmo": make_member(world.company, Role.CMO, username="cmo2", first_name="Clara", last_name="Zweit"),
    }


def test_executive_who_rewrote_the_amount_cannot_approve_it_through_the_api(world, second):
    line = world.line(amount="1000.00")
    executive = api(world.executive)
    response = executive.patch(line_url(world, line), {"planned_amount": "750000.00", "version": line.version})
    assert response.status_code == 200, response.content
    assert response.json()["last_changed_by"] == "Petra Schulz"
    version = response.json()["version"]
    audit_before = BudgetAuditEntry.objects.filter(line=line).count()

    refused = executive.post(line_url(world, line, "approve/"), {"version": version}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == OWN_VERSION
    assert refused.json()["approver"] == [OWN_VERSION]
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None and line.version == version
    assert BudgetAuditEntry.objects.filter(line=line).count() == audit_before

    approved = api(second["executive"]).post(line_url(world, line, "approve/"), {"version": version}, format="json")
    assert approved.status_code == 200
    assert approved.json()["approver"] == second["executive"].get_full_name() and approved.json()["state"] == "approved"


def test_executive_who_rewrote_the_amount_on_the_page_sees_no_approve_button_and_is_refused(world, second):
    line = world.line(amount="1000.00")
    c = login(world.executive)
    response = c.post(
        page(world, f"lines/{line.pk}/edit/"),
        {
            "title": line.title,
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "750,000.00",
            "key_result": world.kr.pk,
            "version": line.version,
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.planned_amount == Decimal("750000.00") and line.last_changed_by == world.executive

    detail = c.get(page(world, f"lines/{line.pk}/")).content.decode()
    assert OWN_VERSION in detail
    assert f'action="/c/{world.company.slug}/budgets/lines/{line.pk}/approve/"' not in detail
    assert "Amount or key result last changed by" in detail and "Petra Schulz" in detail
    queue = c.get(page(world)).content.decode()
    assert OWN_VERSION in queue

    refused = c.post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version})
    assert refused.status_code == 403
    assert "another person must approve it" in refused.content.decode()
    htmx = c.post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 403
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None

    other = login(second["executive"])
    assert (
        f'action="/c/{world.company.slug}/budgets/lines/{line.pk}/approve/"'
        in other.get(page(world, f"lines/{line.pk}/")).content.decode()
    )
    assert other.post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version}).status_code == 302
    line.refresh_from_db()
    assert line.state == "approved" and line.approver == second["executive"]


def test_binding_makes_the_binder_the_author_of_the_version(world, second):
    line = world.line(bound=False)
    services.budget_line_bind(line=line, key_result=world.kr, actor=world.cmo)
    with pytest.raises(PermissionDenied) as exc:
        services.budget_line_approve(line=line, actor=world.cmo)
    assert exc.value.message == OWN_VERSION
    assert services.budget_line_approve(line=line, actor=second["cmo"]).approver == second["cmo"]


def test_unbinding_and_rebinding_an_approved_line_reopens_it_for_someone_else(world, second):
    line = world.approved()
    services.budget_line_bind(line=line, key_result=None, actor=world.executive)
    services.budget_line_bind(line=line, key_result=world.kr, actor=world.executive)
    line.refresh_from_db()
    assert line.state == "submitted" and line.last_changed_by == world.executive
    with pytest.raises(PermissionDenied):
        services.budget_line_approve(line=line, actor=world.executive)
    assert services.budget_line_approve(line=line, actor=world.cmo).state == "approved"


def test_a_title_change_is_not_a_new_version_of_the_money(world):
    line = world.line()
    services.budget_line_update(line=line, actor=world.cmo, title="Messestand Hannover (Halle 9)")
    line.refresh_from_db()
    assert line.last_changed_by == world.member
    assert services.budget_line_approve(line=line, actor=world.cmo).state == "approved"


def test_the_last_changer_cannot_give_the_cmo_step_either(world, second):
    line = world.line(amount="1000.00")
    services.budget_line_update(line=line, actor=world.cmo, planned_amount=Decimal("80000.00"))
    with pytest.raises(PermissionDenied) as exc:
        services.budget_line_approve(line=line, actor=world.cmo)
    assert exc.value.message == OWN_VERSION
    step = services.budget_line_approve(line=line, actor=second["cmo"])
    assert step.state == "submitted" and step.cmo_approved_by == second["cmo"]


def test_cmo_step_and_executive_step_are_two_people(world):
    line = world.line(amount="80000.00")
    services.budget_line_approve(line=line, actor=world.cmo)
    # The CMO becomes an executive while the line waits: they still cannot give the second step themselves.
    Membership.objects.filter(user=world.cmo, company=world.company).update(role=Role.EXECUTIVE)
    world.cmo.__dict__.pop("_okrplan_roles", None)
    response = api(world.cmo).post(line_url(world, line, "approve/"), {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == TWO_STEPS
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None
    assert services.budget_line_approve(line=line, actor=world.executive).state == "approved"


def test_command_and_admin_action_refuse_the_author_of_the_version(world, second, django_user_model):
    line = world.line()
    services.budget_line_update(line=line, actor=world.cmo, planned_amount=Decimal("2000.00"))
    with pytest.raises(CommandError, match="another person must approve it"):
        call_command("budget_approve", line.pk, "--as", "cmo")

    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    services.budget_line_update(line=line, actor=admin_user, planned_amount=Decimal("3000.00"))
    response = login(admin_user).post(
        "/admin/budgets/budgetline/", {"action": "approve_lines", "_selected_action": [line.pk]}, follow=True
    )
    assert f"{line.title}: {OWN_VERSION}" in response.content.decode()
    line.refresh_from_db()
    assert line.state == "submitted"
    out = io.StringIO()
    call_command("budget_approve", line.pk, "--as", "cmo", stdout=out)
    assert "Approved budget line" in out.getvalue()


def _refused(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_the_database_refuses_approval_by_the_last_changer_on_any_path(world, second):
    line = world.line()
    services.budget_line_update(line=line, actor=world.cmo, planned_amount=Decimal("2000.00"))
    table = BudgetLine._meta.db_table
    rows = BudgetLine.objects.filter(pk=line.pk)
    now = line.updated_at

    _refused(lambda: rows.update(state="approved", approver=world.cmo, approved_at=now))
    _refused(lambda: rows.update(cmo_approved_by=world.cmo, cmo_approved_at=now))

    def raw_sql():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET state = 'approved', approver_id = %s, approved_at = %s WHERE id = %s",
                [world.cmo.pk, now, line.pk],
            )

    _refused(raw_sql)
    # The two steps above the limit by one person.
    _refused(
        lambda: rows.update(
            state="approved", cmo_approved_by=world.executive, approver=world.executive, approved_at=now
        )
    )
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None and line.cmo_approved_by is None
    # Another person passes the same constraints.
    rows.update(state="approved", cmo_approved_by=second["cmo"], approver=world.executive, approved_at=now)


def test_a_row_written_outside_the_services_was_last_changed_by_its_requester(world):
    line = BudgetLine.objects.create(
        company=world.company,
        cycle=world.cycle,
        title="Direkt",
        channel=world.channel,
        planned_amount=Decimal("1.00"),
        requester=world.member,
    )
    assert line.last_changed_by == world.member


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_makes_the_requester_the_last_changer(world):
    from django.db.migrations.executor import MigrationExecutor

    before = [("budgets", "0003_audit_append_only_trigger")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        # The models as the database has them now: every migration still applied (other apps' later migrations
        # that depend on budgets' later ones, e.g. the move of Company to the companies app, were undone too).
        old = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
        OldLine = old.get_model("budgets", "BudgetLine")
        row = OldLine.objects.create(
            company_id=world.company.pk,
            cycle_id=world.cycle.pk,
            title="Vor der Migration",
            channel_id=world.channel.pk,
            planned_amount=Decimal("5.00"),
            requester_id=world.member.pk,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert BudgetLine.objects.get(pk=row.pk).last_changed_by == world.member
