"""The cascade pages: rendering, role-aware controls, tenancy, htmx partials, the API calls the builder makes, stale
saves, queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companies.permissions import Role
from objectives.models import CheckIn, Cycle, KeyResult, Objective
from objectives.services import cascade as svc
from tests.factories_cascade import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def url(name, company, **kwargs):
    return reverse(f"objectives:{name}", kwargs={"company_slug": company.slug, **kwargs})


def api(name, company, **kwargs):
    return reverse(name, kwargs={"company_slug": company.slug, **kwargs})


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="FY 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))


@pytest.fixture
def tree(company, cycle, make_member):
    owner = make_member(company, Role.MEMBER, first_name="Jonas", last_name="Weber")
    top = svc.objective_create(cycle=cycle, title="Grow profitably", actor=None)
    child = svc.objective_create(cycle=cycle, title="More qualified leads", parent=top, team="marketing", actor=None)
    kr = svc.key_result_create(
        objective=child, title="Qualified leads +18 %", kind="increase_to", unit="percent", target_value=18,
        owner=owner, actor=None,
    )  # fmt: skip
    return {"top": top, "child": child, "kr": kr, "owner": owner}


# ------------------------------------------------------------------------------------------------------- page
def test_facilitator_sees_the_tree_with_edit_controls(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    response = client.get(url("cascade", company), {"cycle": cycle.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Grow profitably" in html and "More qualified leads" in html and "Qualified leads +18 %" in html
    assert "Jonas Weber" in html
    assert 'data-editable="1"' in html
    assert "vendor/Sortable.min.js" in html and "js/cascade/main.js" in html
    assert "tpl-objective-editor" in html
    assert "Export XLSX" in html and "Activate cycle" in html
    # the traffic light always carries a word
    assert "At risk" in html or "Behind" in html or "On track" in html


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.MEMBER])
def test_executives_and_members_read_only(company, cycle, tree, client_for, role):
    client = client_for(company, role)
    response = client.get(url("cascade", company), {"cycle": cycle.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Grow profitably" in html
    assert 'data-editable="0"' in html
    assert 'draggable="true"' not in html
    assert "tpl-objective-editor" not in html
    assert "Export XLSX" not in html
    assert "Activate cycle" not in html


def test_member_sees_check_in_only_on_own_key_result(company, cycle, tree, make_member):
    from django.test import Client

    other = svc.key_result_create(objective=tree["top"], title="Someone else's KR", kind="milestone", actor=None)
    client = Client()
    client.force_login(tree["owner"])
    html = client.get(url("cascade", company), {"cycle": cycle.pk}).content.decode()
    own = html.split(f'data-kind="kr" data-id="{tree["kr"].pk}"')[1].split("</li>")[0]
    foreign = html.split(f'data-kind="kr" data-id="{other.pk}"')[1].split("</li>")[0]
    assert 'data-action="check-in"' in own
    assert 'data-action="check-in"' not in foreign


def test_empty_states(company, client_for):
    client = client_for(company, Role.FACILITATOR)
    html = client.get(url("cascade", company)).content.decode()
    assert "No cycle yet" in html and "Create cycle" in html
    cycle = CycleFactory(company=company)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}).content.decode()
    assert "Start the cascade" in html and "Add the first company objective" in html


def test_default_cycle_and_wall_mode(company, cycle, tree, client_for):
    client = client_for(company, Role.EXECUTIVE)
    response = client.get(url("cascade", company), {"wall": "1"})
    assert response.status_code == 200
    assert response.context["cycle"] == cycle
    assert '<html lang="en" class="wall">' in response.content.decode()


def test_other_company_is_404(company, other_company, cycle, tree, client_for):
    foreign_cycle = CycleFactory(company=other_company)
    foreign_objective = ObjectiveFactory(cycle=foreign_cycle)
    client = client_for(company, Role.FACILITATOR)
    assert client.get(url("cascade", company), {"cycle": foreign_cycle.pk}).status_code == 404
    assert client.get(url("objective_detail", company, objective_id=foreign_objective.pk)).status_code == 404
    response = send(
        client, "patch", api("api-objective", company, pk=foreign_objective.pk), {"version": 1, "title": "x"}
    )
    assert response.status_code == 404
    # and a company the user is no member of at all
    assert client.get(url("cascade", other_company)).status_code == 404


def test_filters_and_search_answer_the_tree_partial(company, cycle, tree, client_for, teams):
    svc.objective_create(cycle=cycle, title="Win the sales pipeline", team="sales", actor=None)
    client = client_for(company, Role.FACILITATOR)
    response = client.get(url("cascade", company), {"cycle": cycle.pk, "q": "qualified"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a partial
    assert "More qualified leads" in html and "Grow profitably" in html  # the match with its ancestor
    assert "Win the sales pipeline" not in html
    sales = teams["sales"].pk
    html = client.get(url("cascade", company), {"cycle": cycle.pk, "team": sales, "partial": "tree"}).content.decode()
    assert "Win the sales pipeline" in html and "More qualified leads" not in html
    assert (
        f'data-team="{sales}" data-team-kind="sales"' in html and '<span class="chip chip-team">Vertrieb</span>' in html
    )
    html = client.get(url("cascade", company), {"cycle": cycle.pk, "q": "nothing like it", "partial": "tree"})
    assert "No objective matches the filter" in html.content.decode()


def test_signature_endpoint_changes_after_an_edit(company, cycle, tree, client_for):
    client = client_for(company, Role.MEMBER)
    first = client.get(api("api-cascade-signature", company), {"cycle": cycle.pk}).json()["signature"]
    svc.objective_create(cycle=cycle, title="New", actor=None)
    second = client.get(api("api-cascade-signature", company), {"cycle": cycle.pk}).json()["signature"]
    assert first and second and first != second


def test_sunburst_json(company, cycle, tree, client_for):
    client = client_for(company, Role.EXECUTIVE)
    figure = client.get(url("cascade_sunburst", company), {"cycle": cycle.pk}).json()
    trace = figure["data"][0]
    assert trace["type"] == "sunburst"
    assert f"o{tree['child'].pk}" in trace["ids"] and f"k{tree['kr'].pk}" in trace["ids"]
    assert trace["parents"][trace["ids"].index(f"o{tree['child'].pk}")] == f"o{tree['top'].pk}"


# --------------------------------------------------------------- the builder's calls (the DRF API, as the page sends th
def send(client, method, path, data):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def test_builder_urls_point_at_the_api_and_no_page_json_actions_remain(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}).content.decode()
    assert f"/api/v1/companies/{company.slug}/objectives/" in html
    assert f"/c/{company.slug}/cascade/objectives/new/" not in html
    response = client.post(f"/c/{company.slug}/cascade/objectives/new/", {"cycle": cycle.pk, "title": "Old way"})
    assert response.status_code == 404
    assert not Objective.objects.filter(title="Old way").exists()


def test_create_objective_after_a_sibling_and_a_key_result(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    response = send(client, "post", api("api-objectives", company),
        {"cycle": cycle.pk, "title": "  Shorter sales cycle ", "parent": tree["top"].pk, "after": tree["child"].pk},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = Objective.objects.get(pk=response.json()["id"])
    assert created.title == "Shorter sales cycle" and created.parent_id == tree["top"].pk
    assert created.position == 1
    response = send(client, "post", api("api-key-results", company),
        {"objective": created.pk, "title": "Days to close", "kind": "decrease_to", "unit": "number",
         "start_value": "90", "target_value": "60"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    kr = KeyResult.objects.get(pk=response.json()["id"])
    assert (kr.start_value, kr.target_value, kr.objective_id) == (Decimal("90"), Decimal("60"), created.pk)


def test_bad_input_is_400_with_field_errors(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    response = send(client, "post", api("api-objectives", company), {"cycle": cycle.pk, "title": ""})
    assert response.status_code == 400
    assert "title" in response.json()
    response = send(client, "post", api("api-key-results", company),
        {"objective": tree["top"].pk, "title": "KR", "kind": "sideways", "target_value": "x"},
    )  # fmt: skip
    assert response.status_code == 400
    assert {"kind", "target_value"} <= set(response.json())
    assert not KeyResult.objects.filter(title="KR").exists()


def test_member_cannot_edit(company, cycle, tree, client_for):
    client = client_for(company, Role.MEMBER)
    response = send(client, "post", api("api-objectives", company), {"cycle": cycle.pk, "title": "Sneaky"})
    assert response.status_code == 403
    assert not Objective.objects.filter(title="Sneaky").exists()


def test_stale_save_is_409_with_changed_by_and_fresh_values(company, cycle, tree, client_for, make_member):
    cmo = make_member(company, Role.CMO, first_name="Markus", last_name="Hoffmann")
    objective = tree["child"]
    objective.refresh_from_db()
    stale_version = objective.version
    svc.objective_update(objective=objective, version=stale_version, title="Renamed by the CMO", actor=cmo)
    client = client_for(company, Role.FACILITATOR)
    response = send(client, "patch", api("api-objective", company, pk=objective.pk),
        {"version": stale_version, "title": "My title"},
    )  # fmt: skip
    assert response.status_code == 409
    data = response.json()
    assert data["detail"].startswith("Changed by Markus Hoffmann at ")
    assert data["current"]["title"] == "Renamed by the CMO"
    assert data["current"]["version"] == stale_version + 1
    objective.refresh_from_db()
    assert objective.title == "Renamed by the CMO"


def test_move_refused_under_own_child_changes_nothing(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    top = tree["top"]
    top.refresh_from_db()
    response = send(client, "post", api("api-objective-move", company, pk=top.pk),
        {"version": top.version, "parent": tree["child"].pk, "position": 0},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()
    top.refresh_from_db()
    assert top.parent_id is None


def test_indent_outdent_and_delete(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    second = svc.objective_create(cycle=cycle, title="Second top", actor=None)
    response = send(client, "post", api("api-objective-indent", company, pk=second.pk), {"version": second.version})
    assert response.status_code == 200, response.content
    second.refresh_from_db()
    assert second.parent_id == tree["top"].pk
    response = send(client, "post", api("api-objective-outdent", company, pk=second.pk), {"version": second.version})
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.parent_id is None
    assert client.delete(api("api-objective", company, pk=second.pk) + "?version=1").status_code == 409
    response = client.delete(api("api-objective", company, pk=second.pk) + f"?version={second.version}")
    assert response.status_code == 204
    assert not Objective.objects.filter(pk=second.pk).exists()


def test_key_result_update_and_move(company, cycle, tree, client_for):
    client = client_for(company, Role.CMO)
    kr = tree["kr"]
    response = send(client, "patch", api("api-key-result", company, pk=kr.pk),
        {"version": kr.version, "title": "Qualified leads +20 %", "target_value": "20"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    kr.refresh_from_db()
    assert (kr.title, kr.target_value) == ("Qualified leads +20 %", Decimal("20"))
    response = send(client, "post", api("api-key-result-move", company, pk=kr.pk),
        {"version": kr.version, "objective": tree["top"].pk, "position": 0},
    )  # fmt: skip
    assert response.status_code == 200
    kr.refresh_from_db()
    assert kr.objective_id == tree["top"].pk


def test_editing_refused_in_an_active_cycle(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    svc.cycle_activate(cycle=cycle, actor=None)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}).content.decode()
    assert 'data-editable="0"' in html and "structure and the targets are locked" in html
    response = send(client, "post", api("api-objectives", company), {"cycle": cycle.pk, "title": "Late idea"})
    assert response.status_code == 400
    assert not Objective.objects.filter(title="Late idea").exists()


# ---------------------------------------------------------------------------------------------- other pages
def test_objective_detail_shows_krs_history_and_chart(company, cycle, tree, client_for):
    svc.check_in_create(key_result=tree["kr"], value=6, confidence=Decimal("0.7"), comment="Good start", actor=None)
    client = client_for(company, Role.EXECUTIVE)
    response = client.get(url("objective_detail", company, objective_id=tree["child"].pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Qualified leads +18 %" in html and "Good start" in html
    assert f'id="kr-chart-data-{tree["kr"].pk}"' in html
    assert "Grow profitably" in html  # the parent
    assert 'name="form" value="edit"' not in html  # executives read only


def test_objective_detail_stale_save_keeps_input(company, cycle, tree, client_for, make_member):
    cmo = make_member(company, Role.CMO, first_name="Markus", last_name="Hoffmann")
    objective = tree["child"]
    objective.refresh_from_db()
    version = objective.version
    svc.objective_update(objective=objective, version=version, description="Fresh text", actor=cmo)
    client = client_for(company, Role.FACILITATOR)
    response = client.post(
        url("objective_detail", company, objective_id=objective.pk),
        {"form": "edit", "version": version, "title": objective.title, "description": "My typed text"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Changed by Markus Hoffmann" in html and "My typed text" in html
    objective.refresh_from_db()
    assert objective.description == "Fresh text"


def test_check_in_from_the_cascade_dialog(company, cycle, tree):
    from django.test import Client

    client = Client()
    client.force_login(tree["owner"])
    kr = tree["kr"]
    form = client.get(url("check_in", company, key_result_id=kr.pk), {"context": "cascade"})
    assert form.status_code == 200 and 'name="confidence"' in form.content.decode()
    response = client.post(
        url("check_in", company, key_result_id=kr.pk),
        {"context": "cascade", "value": "9", "confidence": "80", "comment": "Halfway"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "cascade:checked-in" in json.loads(response["HX-Trigger"])
    check_in = CheckIn.objects.get(key_result=kr)
    assert (check_in.value, check_in.confidence, check_in.comment) == (Decimal("9"), Decimal("0.80"), "Halfway")


def test_check_in_bad_value_shows_the_error(company, cycle, tree):
    from django.test import Client

    client = Client()
    client.force_login(tree["owner"])
    response = client.post(
        url("check_in", company, key_result_id=tree["kr"].pk),
        {"context": "cascade", "value": "abc", "confidence": "180"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "“abc” is not a number; write it like 4,500.50." in html
    assert "less than or equal to 100" in html
    assert not CheckIn.objects.exists()


def test_member_cannot_check_in_on_someone_elses_key_result(company, cycle, tree, client_for):
    client = client_for(company, Role.MEMBER)
    response = client.post(
        url("check_in", company, key_result_id=tree["kr"].pk),
        {"context": "cascade", "value": "9", "confidence": "80"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Only the owner" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_my_key_results_lists_stale_first_and_checks_in_inline(company, cycle, tree):
    from django.test import Client

    fresh = svc.key_result_create(
        objective=tree["top"], title="Fresh KR", kind="increase_to", target_value=5, owner=tree["owner"], actor=None
    )
    svc.check_in_create(key_result=fresh, value=2, confidence=Decimal("0.5"), actor=None)
    KeyResult.objects.filter(pk=tree["kr"].pk).update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    client = Client()
    client.force_login(tree["owner"])
    response = client.get(url("my_key_results", company))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Qualified leads +18 %") < html.index("Fresh KR")
    assert "1 key result waits for a check-in" in html
    response = client.post(
        url("check_in", company, key_result_id=tree["kr"].pk),
        {"context": "my", "value": "4", "confidence": "60"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="my-kr-{tree["kr"].pk}"' in response.content.decode()
    assert CheckIn.objects.filter(key_result=tree["kr"], value=4).exists()


def test_cycle_management(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    response = client.post(url("cycle_transition", company, cycle_id=cycle.pk, transition="activate"))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.ACTIVE
    response = client.post(
        url("cycle_create", company),
        {"name": "FY 2027", "kind": "year", "start_date": "2027-01-01", "end_date": "2027-12-31"},
    )
    assert response.status_code == 302
    target = Cycle.objects.get(company=company, name="FY 2027")
    response = client.post(url("cycle_carry_over", company, cycle_id=cycle.pk), {"target": target.pk})
    assert response.status_code == 302
    assert not Objective.objects.filter(cycle=target).exists()  # nothing chosen: nothing copied, the user is asked
    response = client.post(
        url("cycle_carry_over", company, cycle_id=cycle.pk),
        {"target": target.pk, "objectives": [tree["top"].pk, tree["child"].pk]},
    )
    assert response.status_code == 302
    assert Objective.objects.filter(cycle=target, title="More qualified leads").exists()
    response = client.post(url("cycle_transition", company, cycle_id=cycle.pk, transition="explode"))
    assert response.status_code == 404


def test_cycle_management_forbidden_for_members(company, cycle, client_for):
    client = client_for(company, Role.MEMBER)
    response = client.post(url("cycle_transition", company, cycle_id=cycle.pk, transition="activate"))
    assert response.status_code == 403
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.PLANNING


# ---------------------------------------------------------------------------------------------------- queries
def _build(company, cycle, count, users):
    objectives = []
    for index in range(count):
        parent = objectives[index // 4] if index >= 4 else None
        objectives.append(ObjectiveFactory(cycle=cycle, parent=parent, owner=users[index % len(users)], position=index))
    for objective in objectives:
        KeyResultFactory(objective=objective, owner=objective.owner, current_value=Decimal("30"))


@pytest.mark.parametrize("size", [10, 500])
def test_cascade_page_queries_are_constant(company, make_member, client_for, size, django_assert_max_num_queries):
    users = [make_member(company) for _ in range(4)]
    cycle = CycleFactory(company=company)
    CycleFactory(company=company, name="Other cycle", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    _build(company, cycle, size, users)
    client = client_for(company, Role.FACILITATOR)
    with django_assert_max_num_queries(20):
        response = client.get(url("cascade", company), {"cycle": cycle.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-kind="objective"') == size
    assert page.count('class="carry-item') == size  # the carry-over dialog lists every objective
    assert "<!--rows-" not in page  # the rows were spliced in where the template put their marker
    with django_assert_max_num_queries(12):
        response = client.get(url("cascade", company), {"cycle": cycle.pk, "partial": "tree"})
    assert response.content.decode().count('data-kind="kr"') == size


def test_cascade_page_query_count_is_the_same_for_10_and_500(company, make_member, client_for):
    users = [make_member(company) for _ in range(4)]
    client = client_for(company, Role.FACILITATOR)
    counts = []
    for size in (10, 500):
        cycle = CycleFactory(company=company, name=f"Cycle {size}")
        _build(company, cycle, size, users)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("cascade", company), {"cycle": cycle.pk}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 20, counts


# ------------------------------------------------------------------------------------------------ import/export
def test_export_and_import_round_trip_through_the_pages(company, cycle, tree, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(company, Role.FACILITATOR)
    response = client.get(url("cascade_export", company, fmt="csv"), {"cycle": cycle.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    csv_text = response.content.decode()
    assert "Qualified leads +18 %" in csv_text
    xlsx = client.get(url("cascade_export", company, fmt="xlsx"), {"cycle": cycle.pk})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url("cascade_export", company, fmt="pdf"), {"cycle": cycle.pk}).status_code == 404

    target = CycleFactory(company=company, name="Copy")
    page = client.get(url("cascade_import", company), {"cycle": target.pk})
    assert page.status_code == 200 and "How the import works" in page.content.decode()
    upload = SimpleUploadedFile("cascade.csv", csv_text.encode(), content_type="text/csv")
    response = client.post(url("cascade_import", company) + f"?cycle={target.pk}", {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Objective.objects.filter(cycle=target).count() == 2
    assert KeyResult.objects.filter(objective__cycle=target, title="Qualified leads +18 %").exists()


def test_import_with_errors_lists_rows_and_changes_nothing(company, cycle, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(company, Role.CMO)
    bad = "path,type,title\r\n1,objective,\r\n1.1,key result,KR without objective data\r\n"
    upload = SimpleUploadedFile("bad.csv", bad.encode(), content_type="text/csv")
    response = client.post(url("cascade_import", company) + f"?cycle={cycle.pk}", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported" in html and "Nothing was changed" in html
    assert "row 2" in html.lower()
    assert not Objective.objects.filter(cycle=cycle).exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.MEMBER])
def test_import_and_export_only_for_facilitators_and_cmos(company, cycle, client_for, role):
    client = client_for(company, role)
    assert client.get(url("cascade_export", company, fmt="csv"), {"cycle": cycle.pk}).status_code == 403
    assert client.get(url("cascade_import", company), {"cycle": cycle.pk}).status_code == 403


def test_check_in_accepts_a_german_decimal_comma(company, cycle, tree):
    from django.test import Client

    client = Client()
    client.force_login(tree["owner"])
    response = client.post(
        url("check_in", company, key_result_id=tree["kr"].pk),
        {"context": "cascade", "value": "9,5", "confidence": "70"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 204
    assert CheckIn.objects.get(key_result=tree["kr"]).value == Decimal("9.5")


def test_active_cycle_allows_renaming_in_place_but_not_new_targets(company, cycle, tree, client_for):
    client = client_for(company, Role.FACILITATOR)
    svc.cycle_activate(cycle=cycle, actor=None)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}).content.decode()
    assert 'data-renamable="1"' in html and "tpl-kr-editor" in html and 'data-editable="0"' in html
    kr = KeyResult.objects.get(pk=tree["kr"].pk)
    response = send(
        client, "patch", api("api-key-result", company, pk=kr.pk), {"version": kr.version, "title": "Sharper"}
    )
    assert response.status_code == 200, response.content
    kr.refresh_from_db()
    response = send(
        client, "patch", api("api-key-result", company, pk=kr.pk), {"version": kr.version, "target_value": "30"}
    )
    assert response.status_code == 400
    kr.refresh_from_db()
    assert (kr.title, kr.target_value) == ("Sharper", Decimal("18"))


# Measured 2026-11-21: this tree of 500 objectives × 4 key results renders 4,384,302 bytes. The budget (2×) catches
# markup that balloons again: every byte added to a row is repeated 2,500 times here.
TREE_BYTES_BUDGET_500 = 8_800_000


def test_tree_of_500_objectives_stays_within_its_size_budget_and_escapes_titles(company, make_member, client_for):
    users = [make_member(company) for _ in range(4)]
    cycle = CycleFactory(company=company)
    objectives = []
    for index in range(500):
        parent = objectives[index // 4] if index >= 4 else None
        objectives.append(
            ObjectiveFactory(
                cycle=cycle, parent=parent, owner=users[index % 4], position=index, title=f"<b>Objective {index}</b>"
            )
        )
    KeyResult.objects.bulk_create(
        KeyResultFactory.build(objective=objective, owner=objective.owner, position=n, current_value=Decimal("30"))
        for objective in objectives
        for n in range(4)
    )
    client = client_for(company, Role.FACILITATOR)
    response = client.get(url("cascade", company), {"cycle": cycle.pk, "partial": "tree"})
    html = response.content.decode()
    assert html.count('data-kind="objective"') == 500
    assert html.count('data-kind="kr"') == 2000
    assert "<b>Objective" not in html and "&lt;b&gt;Objective 499&lt;/b&gt;" in html
    assert len(response.content) < TREE_BYTES_BUDGET_500, len(response.content)


@pytest.mark.parametrize("language", ["de", "en"])
def test_team_filter_lists_each_team_of_the_company_once(
    company, other_company, cycle, tree, client_for, make_member, language, teams
):
    from companies.models import Membership
    from tests.factories import TeamFactory

    events = TeamFactory(company=company, name="Events & Messen")
    TeamFactory(company=other_company, name="Fremdes Team")
    for team in (teams["marketing"], teams["sales"], events):
        Membership.objects.filter(user=make_member(company, Role.MEMBER)).update(team=team)
    client = client_for(company, Role.FACILITATOR)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    select = html[html.index('id="cascade-team"') : html.index("</select>", html.index('id="cascade-team"'))]
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select)
    assert options == [
        ("", "Alle Teams" if language == "de" else "All teams"),
        (str(events.pk), "Events &amp; Messen"),
        (str(teams["marketing"].pk), "Marketing"),
        (str(teams["company"].pk), "Unternehmen"),
        (str(teams["sales"].pk), "Vertrieb"),
    ]


@pytest.mark.parametrize(("language", "shown"), [("de", "120 Mio. € / 138 Mio. €"), ("en", "120 m € / 138 m €")])
def test_currency_key_results_keep_their_unit_and_scale(company, cycle, tree, client_for, language, shown):
    svc.key_result_create(
        objective=tree["top"], title="Auftragseingang von 120 auf 138 Mio. €", kind="increase_to", unit="currency",
        start_value=120_000_000, target_value=138_000_000, actor=None,
    )  # fmt: skip
    svc.key_result_create(
        objective=tree["top"], title="Event budget", kind="increase_to", unit="currency", target_value=12_500,
        actor=None,
    )  # fmt: skip
    client = client_for(company, Role.FACILITATOR)
    html = client.get(url("cascade", company), {"cycle": cycle.pk}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    values = html.replace('<span class="muted">', "").replace("</span>", "")
    assert shown in values
    # Below a million: the site's one money format (core.numbers), as on budgets and the board.
    assert ("0,00\u00a0€ / 12.500,00\u00a0€" if language == "de" else "€0.00 / €12,500.00") in values
    assert " EUR" not in values
