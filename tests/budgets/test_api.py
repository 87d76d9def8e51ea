"""The budget API: the gate answers 400 on key_result and changes nothing, versions, spend, tenancy, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from budgets import services
from budgets.models import BudgetAuditEntry, BudgetLine
from companies.permissions import Role
from tests.factories import KeyResultFactory
from tests.factories_budgets import BudgetLineFactory

pytestmark = pytest.mark.django_db

RULE = "A budget line can only be approved once it is bound to a key result."


def client(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def url(world, suffix=""):
    return f"/api/v1/companies/{world.company.slug}/budget-lines/{suffix}"


def test_approving_an_unbound_line_is_400_on_key_result_and_changes_nothing(world):
    line = world.line(bound=False)
    line.refresh_from_db()
    before = {f.attname: getattr(line, f.attname) for f in BudgetLine._meta.concrete_fields}
    audit_before = BudgetAuditEntry.objects.count()
    response = client(world.cmo).post(url(world, f"{line.pk}/approve/"), {"version": line.version}, format="json")
    assert response.status_code == 400
    assert response.json()["key_result"] == [RULE]
    line.refresh_from_db()
    after = {f.attname: getattr(line, f.attname) for f in BudgetLine._meta.concrete_fields}
    assert after == before  # every field, updated_at and version included
    assert BudgetAuditEntry.objects.count() == audit_before


def test_create_submit_bind_approve_through_the_api(world):
    api = client(world.member)
    response = api.post(
        url(world),
        {
            "title": "Webinarreihe",
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "8500.00",
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "submitted" and data["key_result"] is None and data["requester"] == "Jonas Weber"
    pk, version = data["id"], data["version"]
    # The requester binds it (PATCH with the version read).
    response = api.patch(url(world, f"{pk}/"), {"key_result": world.kr.pk, "version": version}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["key_result_title"] == "500 qualifizierte Leads"
    # Self-approval is not possible even for approvers; a member may not approve at all.
    assert api.post(url(world, f"{pk}/approve/")).status_code == 403
    response = client(world.cmo).post(url(world, f"{pk}/approve/"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "approved" and response.json()["approver"] == "Markus Hoffmann"


def test_stale_update_is_409_with_who_changed_it(world):
    line = world.line()
    api = client(world.member)
    old = line.version
    assert api.patch(url(world, f"{line.pk}/"), {"title": "Neu", "version": old}, format="json").status_code == 200
    response = api.patch(url(world, f"{line.pk}/"), {"title": "Alt", "version": old}, format="json")
    assert response.status_code == 409
    assert response.json()["changed_by"] == "Jonas Weber"
    assert api.patch(url(world, f"{line.pk}/"), {"title": "Ohne Version"}, format="json").status_code == 400


def test_second_approval_is_409_telling_who_approved(world):
    line = world.line()
    assert client(world.cmo).post(url(world, f"{line.pk}/approve/"), {"version": line.version}).status_code == 200
    response = client(world.executive).post(url(world, f"{line.pk}/approve/"), {"version": line.version})
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Already approved by Markus Hoffmann at ")


def test_reject_needs_a_reason(world):
    line = world.line()
    response = client(world.cmo).post(url(world, f"{line.pk}/reject/"), {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()
    response = client(world.cmo).post(url(world, f"{line.pk}/reject/"), {"reason": "Zu teuer"})
    assert response.status_code == 200 and response.json()["state"] == "rejected"


def test_submit_endpoint(world):
    line = world.line(submit=False)
    response = client(world.member).post(url(world, f"{line.pk}/submit/"))
    assert response.status_code == 200 and response.json()["state"] == "submitted"


def test_spend_list_and_create(world):
    line = world.approved()
    api = client(world.cmo)
    response = api.post(
        url(world, f"{line.pk}/spend/"), {"date": "2026-03-10", "amount": "1250.00", "reference": "RE-1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    response = api.get(url(world, f"{line.pk}/spend/"))
    assert [e["amount"] for e in response.json()] == ["1250.00"]
    assert api.get(url(world, f"{line.pk}/")).json()["actual"] == "1250.00"
    assert (
        client(world.member).post(url(world, f"{line.pk}/spend/"), {"date": "2026-03-10", "amount": "1"}).status_code
        == 403
    )


def test_audit_endpoint_is_read_only(world):
    line = world.approved()
    api = client(world.cmo)
    events = [e["event"] for e in api.get(url(world, f"{line.pk}/audit/")).json()]
    assert events == ["create", "submit", "approve"]
    assert api.post(url(world, f"{line.pk}/audit/"), {}).status_code == 405


def test_other_company_line_is_404(world, other_company, make_member):
    foreign = BudgetLineFactory(company=other_company)
    assert client(world.cmo).get(url(world, f"{foreign.pk}/")).status_code == 404
    assert client(world.cmo).post(url(world, f"{foreign.pk}/approve/")).status_code == 404
    outsider = make_member(other_company, Role.CMO)
    assert client(outsider).get(url(world)).status_code == 404


def test_foreign_key_result_on_create_is_400(world, other_company):
    foreign = KeyResultFactory(objective__cycle__company=other_company, company=other_company)
    response = client(world.member).post(
        url(world),
        {
            "title": "X",
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "1",
            "key_result": foreign.pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "key_result" in response.json()


def test_list_filters_and_pagination(world):
    world.line(title="A", bound=False)
    world.line(title="B")
    world.approved(title="C")
    api = client(world.cmo)
    data = api.get(url(world), {"state": "submitted"}).json()
    assert data["count"] == 2 and {r["title"] for r in data["results"]} == {"A", "B"}
    assert [r["title"] for r in api.get(url(world), {"bound": "false"}).json()["results"]] == ["A"]
    assert api.get(url(world), {"requester": world.member.pk}).json()["count"] == 3
    assert api.get(url(world), {"cycle": world.cycle.pk, "search": "c"}).json()["count"] == 1


@pytest.mark.parametrize("size", [3, 30])
def test_list_query_count_is_constant(world, size, django_assert_max_num_queries):
    for i in range(size):
        line = world.line(title=f"Line {i}", amount=str(1000 + i))
        if i % 2:
            line = services.budget_line_approve(line=line, actor=world.cmo)
            services.spend_entry_create(line=line, date=world.cycle.start_date, amount=Decimal("10"), actor=world.cmo)
    api = client(world.cmo)
    with django_assert_max_num_queries(6) as queries:
        response = api.get(url(world))
    assert response.json()["count"] == size
    print(f"budget-lines list at {size} lines: {len(queries)} queries")
