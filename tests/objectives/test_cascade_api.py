"""The cascade API: status codes (200/201/204/400/403/404/405/409), filters, pagination, query counts, schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.permissions import Role
from objectives.models import CheckIn, Cycle, KeyResult, Objective
from tests.factories_cascade import CheckInFactory, CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def base(company):
    return f"/api/v1/companies/{company.slug}"


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="FY 2026")


@pytest.fixture
def facilitator_api(company, api_client_for):
    return api_client_for(company, Role.FACILITATOR, first_name="Lena", last_name="Berger")


def test_cycles_list_create_and_transitions(company, facilitator_api):
    response = facilitator_api.post(
        f"{base(company)}/cycles/",
        {"name": "Q1 2027", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    cycle_id = response.json()["id"]
    assert response.json()["state"] == "planning"
    listed = facilitator_api.get(f"{base(company)}/cycles/").json()
    assert [c["name"] for c in listed["results"]] == ["Q1 2027"]
    assert facilitator_api.post(f"{base(company)}/cycles/{cycle_id}/activate/").json()["state"] == "active"
    assert facilitator_api.post(f"{base(company)}/cycles/{cycle_id}/reopen/").json()["state"] == "planning"
    assert facilitator_api.post(f"{base(company)}/cycles/{cycle_id}/close/").status_code == 400
    facilitator_api.post(f"{base(company)}/cycles/{cycle_id}/activate/")
    assert facilitator_api.post(f"{base(company)}/cycles/{cycle_id}/close/").json()["state"] == "closed"
    bad = facilitator_api.post(
        f"{base(company)}/cycles/", {"name": "", "kind": "decade", "start_date": "x"}, format="json"
    )
    assert bad.status_code == 400
    assert {"name", "kind", "start_date", "end_date"} <= set(bad.json())


def test_carry_over_endpoint(company, facilitator_api):
    source = CycleFactory(company=company, name="Q1", state=Cycle.State.ACTIVE)
    target = CycleFactory(company=company, name="Q2")
    KeyResultFactory(objective=ObjectiveFactory(cycle=source, title="Open"), current_value=Decimal("10"))
    response = facilitator_api.post(
        f"{base(company)}/cycles/{source.pk}/carry-over/", {"target": target.pk}, format="json"
    )
    assert response.status_code == 201
    assert [o["title"] for o in response.json()] == ["Open"]
    assert Objective.objects.get(cycle=target).key_results.get().start_value == Decimal("10")


def test_objective_crud_with_versions(company, cycle, facilitator_api, make_member):
    owner = make_member(company, Role.MEMBER)
    url = f"{base(company)}/objectives/"
    created = facilitator_api.post(url, {"cycle": cycle.pk, "title": "Grow", "owner": owner.pk}, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["team"]["name"], data["team"]["kind"], data["version"], data["owner"]) == (
        "Unternehmen",
        "company",
        1,
        owner.pk,
    )
    detail = f"{url}{data['id']}/"
    patched = facilitator_api.patch(detail, {"version": 1, "title": "Grow faster"}, format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = facilitator_api.patch(detail, {"version": 1, "title": "Mine"}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["changed_by"] == "Lena Berger" and body["current"]["title"] == "Grow faster" and body["changed_at"]
    assert "Changed by Lena Berger at" in body["detail"]
    assert facilitator_api.patch(detail, {"title": "no version"}, format="json").status_code == 400
    assert facilitator_api.patch(detail, {"version": 2, "state": "bogus"}, format="json").status_code == 400
    assert facilitator_api.delete(detail).status_code == 400  # version missing
    assert facilitator_api.delete(f"{detail}?version=1").status_code == 409
    assert facilitator_api.delete(f"{detail}?version=2").status_code == 204
    assert not Objective.objects.exists()


def test_objective_links_via_patch_and_move(company, cycle, facilitator_api):
    a = ObjectiveFactory(cycle=cycle, title="A")
    b = ObjectiveFactory(cycle=cycle, title="B", position=1)
    response = facilitator_api.patch(
        f"{base(company)}/objectives/{b.pk}/", {"version": 1, "contributes_to": [a.pk]}, format="json"
    )
    assert response.status_code == 200 and response.json()["contributes_to"] == [a.pk]
    moved = facilitator_api.post(
        f"{base(company)}/objectives/{a.pk}/move/", {"version": 1, "parent": b.pk, "position": 0}, format="json"
    )
    assert moved.status_code == 400
    assert "loop" in moved.json()["parent"][0]
    moved = facilitator_api.post(
        f"{base(company)}/objectives/{b.pk}/move/", {"version": 2, "parent": a.pk, "position": 0}, format="json"
    )
    assert moved.status_code == 200  # b already contributes to a: becoming its child is no loop
    assert moved.json()["parent"] == a.pk and moved.json()["version"] == 3
    indent = facilitator_api.post(f"{base(company)}/objectives/{b.pk}/indent/", {"version": 3}, format="json")
    assert indent.status_code == 400  # no sibling above b
    outdent = facilitator_api.post(f"{base(company)}/objectives/{b.pk}/outdent/", {"version": 3}, format="json")
    assert outdent.status_code == 200 and outdent.json()["parent"] is None and outdent.json()["position"] == 1


def test_move_refusal_explains_the_lock(company, facilitator_api):
    cycle = CycleFactory(company=company, name="Locked", state=Cycle.State.ACTIVE)
    a = ObjectiveFactory(cycle=cycle)
    b = ObjectiveFactory(cycle=cycle, position=1)
    response = facilitator_api.post(
        f"{base(company)}/objectives/{b.pk}/move/", {"version": 1, "parent": a.pk, "position": 0}, format="json"
    )
    assert response.status_code == 400
    assert "is active, so its structure is locked" in response.json()["non_field_errors"][0]


def test_objective_list_filters_and_pagination(company, cycle, facilitator_api, make_member, teams):
    owner = make_member(company)
    other_cycle = CycleFactory(company=company, name="other")
    ObjectiveFactory(cycle=cycle, team="sales", owner=owner, state="committed")
    ObjectiveFactory(cycle=cycle, team="marketing")
    ObjectiveFactory(cycle=other_cycle, team="sales")
    url = f"{base(company)}/objectives/"
    assert facilitator_api.get(url).json()["count"] == 3
    assert facilitator_api.get(url, {"cycle": cycle.pk}).json()["count"] == 2
    assert facilitator_api.get(url, {"cycle": cycle.pk, "team": teams["sales"].pk}).json()["count"] == 1
    assert facilitator_api.get(url, {"owner": owner.pk}).json()["count"] == 1
    assert facilitator_api.get(url, {"state": "committed"}).json()["count"] == 1
    assert facilitator_api.get(url, {"state": "bogus"}).status_code == 400


def test_key_results_and_check_ins(company, cycle, api_client_for, facilitator_api):
    objective = ObjectiveFactory(cycle=cycle)
    member = api_client_for(company, Role.MEMBER)
    created = facilitator_api.post(
        f"{base(company)}/key-results/",
        {
            "objective": objective.pk,
            "title": "Leads",
            "kind": "increase_to",
            "start_value": "100",
            "target_value": "118",
            "owner": member.user.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    kr_id = created.json()["id"]
    bad = facilitator_api.post(
        f"{base(company)}/key-results/",
        {"objective": objective.pk, "title": "x", "kind": "increase_to", "start_value": "5", "target_value": "1"},
        format="json",
    )
    assert bad.status_code == 400 and "target_value" in bad.json()
    check_ins = f"{base(company)}/key-results/{kr_id}/check-ins/"
    posted = member.post(check_ins, {"value": "109", "confidence": "0.7", "comment": "Webinar"}, format="json")
    assert posted.status_code == 201, posted.json()
    kr = member.get(f"{base(company)}/key-results/{kr_id}/").json()
    assert kr["current_value"] == "109.0000" and kr["progress"] == "0.5000"
    assert member.get(check_ins).json()["results"][0]["comment"] == "Webinar"
    for method in ("put", "patch", "delete"):
        assert getattr(member, method)(check_ins, {}, format="json").status_code == 405
    assert CheckIn.objects.count() == 1
    not_owner = api_client_for(company, Role.MEMBER)
    assert not_owner.post(check_ins, {"value": "1", "confidence": "0.5"}, format="json").status_code == 403
    assert member.post(check_ins, {"value": "1", "confidence": "5"}, format="json").status_code == 400
    patched = facilitator_api.patch(
        f"{base(company)}/key-results/{kr_id}/", {"version": 1, "target_value": "120"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert (
        facilitator_api.patch(f"{base(company)}/key-results/{kr_id}/", {"version": 1, "title": "x"}).status_code == 409
    )
    assert facilitator_api.delete(f"{base(company)}/key-results/{kr_id}/?version=2").status_code == 204
    assert not KeyResult.objects.exists()


@pytest.mark.parametrize(
    ("role", "read", "edit", "manage"),
    [
        (Role.FACILITATOR, 200, 201, 200),
        (Role.CMO, 200, 201, 200),
        (Role.EXECUTIVE, 200, 403, 403),
        (Role.MEMBER, 200, 403, 403),
    ],
)
def test_permissions_per_role(company, cycle, api_client_for, role, read, edit, manage):
    client = api_client_for(company, role)
    assert client.get(f"{base(company)}/cascade/", {"cycle": cycle.pk}).status_code == read
    response = client.post(f"{base(company)}/objectives/", {"cycle": cycle.pk, "title": "X"}, format="json")
    assert response.status_code == edit
    assert client.post(f"{base(company)}/cycles/{cycle.pk}/activate/").status_code == manage


def test_other_company_is_404(company, other_company, api_client_for):
    foreign_cycle = CycleFactory(company=other_company)
    foreign = ObjectiveFactory(cycle=foreign_cycle)
    foreign_kr = KeyResultFactory(objective=foreign)
    client = api_client_for(company, Role.FACILITATOR)
    assert client.get(f"{base(company)}/objectives/{foreign.pk}/").status_code == 404
    assert client.patch(f"{base(company)}/objectives/{foreign.pk}/", {"version": 1}).status_code == 404
    assert client.get(f"{base(company)}/key-results/{foreign_kr.pk}/check-ins/").status_code == 404
    assert client.get(f"{base(company)}/cascade/", {"cycle": foreign_cycle.pk}).status_code == 404
    assert client.post(f"{base(company)}/cycles/{foreign_cycle.pk}/activate/").status_code == 404
    assert client.get(f"{base(other_company)}/objectives/").status_code == 404  # not a member
    created = client.post(f"{base(company)}/objectives/", {"cycle": foreign_cycle.pk, "title": "X"}, format="json")
    assert created.status_code == 400 and "cycle" in created.json()


def test_cascade_endpoint_nested_tree(company, cycle, facilitator_api):
    top = ObjectiveFactory(cycle=cycle, title="Top")
    child = ObjectiveFactory(cycle=cycle, title="Child", parent=top)
    KeyResultFactory(objective=child, title="KR", current_value=Decimal("50"))
    data = facilitator_api.get(f"{base(company)}/cascade/", {"cycle": cycle.pk}).json()
    assert data["cycle"]["id"] == cycle.pk and data["signature"]
    [node] = data["objectives"]
    assert node["title"] == "Top" and node["children"][0]["title"] == "Child"
    kr = node["children"][0]["key_results"][0]
    assert kr["progress"] == "0.5000" and kr["status"] in {"red", "amber", "green"} and kr["status_label"]
    assert node["progress"] == "0.5000"  # rolled up from the child
    signature = facilitator_api.get(f"{base(company)}/cascade/signature/", {"cycle": cycle.pk}).json()
    assert signature["signature"] == data["signature"]
    assert facilitator_api.get(f"{base(company)}/cascade/", {"cycle": "abc"}).status_code == 400


def _make_tree(company, cycle, count):
    objectives = []
    for index in range(count):
        parent = objectives[(index - 1) // 3] if index else None
        objectives.append(ObjectiveFactory(cycle=cycle, parent=parent, position=index))
    KeyResult.objects.bulk_create(
        [KeyResult(company=company, objective=o, title="KR", target_value=10, current_value=4) for o in objectives]
    )
    for kr in KeyResult.objects.filter(objective__cycle=cycle)[:20]:
        CheckInFactory(key_result=kr)


def test_cascade_endpoint_constant_queries_for_10_and_500(company, facilitator_api):
    small, large = CycleFactory(company=company, name="s"), CycleFactory(company=company, name="l")
    _make_tree(company, small, 10)
    _make_tree(company, large, 500)
    counts = []
    for cycle in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            response = facilitator_api.get(f"{base(company)}/cascade/", {"cycle": cycle.pk})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 15, counts
    with CaptureQueriesContext(connection) as ctx:
        facilitator_api.get(f"{base(company)}/objectives/", {"cycle": large.pk})
    list_large = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        facilitator_api.get(f"{base(company)}/objectives/", {"cycle": small.pk})
    assert len(ctx.captured_queries) == list_large <= 10


def test_schema_documents_the_cascade_endpoints(company, client_for):
    response = client_for(company).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/companies/{company_slug}/cycles/",
        "/api/v1/companies/{company_slug}/objectives/{id}/",
        "/api/v1/companies/{company_slug}/objectives/{id}/move/",
        "/api/v1/companies/{company_slug}/key-results/{id}/check-ins/",
        "/api/v1/companies/{company_slug}/cascade/",
        "/api/v1/companies/{company_slug}/cascade/import/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/companies/{company_slug}/key-results/{id}/check-ins/"]) == {"get", "post"}


def _count(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_query_counts_do_not_grow(company, facilitator_api, make_member):
    owner = make_member(company)
    small, large = CycleFactory(company=company, name="s"), CycleFactory(company=company, name="l")
    _make_tree(company, small, 3)
    _make_tree(company, large, 40)
    KeyResult.objects.filter(objective__cycle=large).update(owner=owner)
    small_kr = KeyResult.objects.filter(objective__cycle=small).first()
    large_kr = KeyResult.objects.filter(objective__cycle=large).first()
    for kr, n in ((small_kr, 1), (large_kr, 30)):
        for _ in range(n):
            CheckInFactory(key_result=kr, author=owner)
    url = f"{base(company)}/key-results/"
    assert _count(facilitator_api, url, {"cycle": small.pk}) == _count(facilitator_api, url, {"cycle": large.pk})
    check_ins = f"{base(company)}/key-results/{{}}/check-ins/"
    assert _count(facilitator_api, check_ins.format(small_kr.pk), {}) == _count(
        facilitator_api, check_ins.format(large_kr.pk), {}
    )
    before = _count(facilitator_api, f"{base(company)}/cycles/", {})
    for n in range(5):
        CycleFactory(company=company, name=f"more {n}", parent=large)
    assert _count(facilitator_api, f"{base(company)}/cycles/", {}) == before
