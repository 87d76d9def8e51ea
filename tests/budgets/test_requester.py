"""Issue 12, finding 2: nobody files budget lines in another person's name, and an import never approves.

Before the fix a CMO imported ``state=approved, requester=<a member>`` and the line was approved by the CMO alone;
a member could file lines in an executive's name.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from budgets import imports, services
from budgets.models import BudgetAuditEntry, BudgetLine
from core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def run_import(world, text: str, actor):
    return imports.budget_lines_import_csv(
        company=world.company, upload=io.BytesIO(text.encode()), actor=actor, default_cycle=world.cycle
    )


def test_cmo_cannot_import_an_approved_line_in_a_members_name(world):
    text = f"title,channel,amount,key_result,state,requester\nMesse,Messen,900000,{world.kr.pk},approved,member\n"
    with pytest.raises(imports.ImportFailed) as exc:
        run_import(world, text, world.cmo)
    assert exc.value.rows == [
        "row 2, column state: “approved”: an import never approves budget lines. Import the line as draft or "
        "submitted; another person approves it in the approval queue."
    ]
    assert not BudgetLine.objects.exists()
    assert not BudgetAuditEntry.objects.exists()


@pytest.mark.parametrize("state", ["approved", "freigegeben", "APPROVED"])
def test_every_spelling_of_approved_is_refused(world, state):
    with pytest.raises(imports.ImportFailed) as exc:
        run_import(
            world,
            f"title,channel,amount,key_result,state,requester\nA,Messen,100,{world.kr.pk},{state},member\n",
            world.cmo,
        )
    assert exc.value.rows[0].startswith("row 2, column state: ")
    assert not BudgetLine.objects.exists()


def test_member_cannot_import_lines_in_an_executives_name(world):
    text = "title,channel,amount,state,requester\nA,Messen,100,submitted,member\nB,Messen,100,submitted,exec\n"
    with pytest.raises(imports.ImportFailed) as exc:
        run_import(world, text, world.member)
    assert exc.value.rows == [
        "row 3, column requester: “exec”: the lines you import are requested by you; nobody files budget lines in "
        "another person's name. Leave the column empty."
    ]
    assert not BudgetLine.objects.exists()
    # Naming yourself (any case) or leaving it empty is fine: the importer is the requester.
    assert run_import(world, "title,channel,amount,requester\nA,Messen,100,MEMBER\nB,Messen,100,\n", world.member) == 2
    assert set(BudgetLine.objects.values_list("requester__username", flat=True)) == {"member"}


def test_import_page_shows_the_row_and_column_and_creates_nothing(world):
    file = SimpleUploadedFile(
        "lines.csv",
        f"title,channel,amount,key_result,state,requester\nA,Messen,100,{world.kr.pk},approved,member\n".encode(),
        "text/csv",
    )
    response = login(world.cmo).post(f"/c/{world.company.slug}/budgets/import/", {"kind": "lines", "lines-file": file})
    assert response.status_code == 400
    assert "row 2, column state: “approved”: an import never approves budget lines." in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_service_refuses_a_requester_other_than_the_actor(world):
    with pytest.raises(PermissionDenied) as exc:
        services.budget_line_create(
            company=world.company,
            cycle=world.cycle,
            title="Im Namen der Geschäftsführung",
            channel=world.channel,
            planned_amount=Decimal("100"),
            actor=world.member,
            requester=world.executive,
        )
    assert exc.value.field == "requester"
    assert exc.value.message == "You can only request budget lines in your own name."
    assert not BudgetLine.objects.exists()


def test_api_create_ignores_a_requester_in_the_body(world):
    client = APIClient()
    client.force_authenticate(world.member)
    for requester in (world.executive.pk, world.executive.username):
        response = client.post(
            f"/api/v1/companies/{world.company.slug}/budget-lines/",
            {
                "title": "Messe",
                "cycle": world.cycle.pk,
                "channel": world.channel.pk,
                "planned_amount": "100.00",
                "requester": requester,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["requester"] == "Jonas Weber"  # named as in every API
    assert set(BudgetLine.objects.values_list("requester", flat=True)) == {world.member.pk}


def test_admin_add_makes_the_admin_the_requester_whatever_is_posted(world, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    response = login(admin_user).post(
        "/admin/budgets/budgetline/add/",
        {
            "company": world.company.pk,
            "cycle": world.cycle.pk,
            "title": "Aus dem Admin",
            "channel": world.channel.pk,
            "planned_amount": "1234.00",
            "requester": world.member.pk,
            "state": "approved",
            "audit_entries-TOTAL_FORMS": "0",
            "audit_entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    line = BudgetLine.objects.get()
    assert line.requester == admin_user and line.state == "draft"
