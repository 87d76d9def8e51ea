"""Issue 19: the cascade is rendered once per data version (core.versions) and answers 304 while nothing changed.

Every service that changes what the cascade shows makes the next read fresh (tree partial, full page, API); the
ETags of the signature API, the tree partial and the cascade API stay while nothing changes and move with every
kind of change; a cached read costs the queries of the signature poll and no more, at any size."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companies.permissions import Role
from core import versions
from objectives.models import Cycle, KeyResult
from objectives.services import cascade as svc
from tests.factories_cascade import CycleFactory

pytestmark = pytest.mark.django_db


def page_url(company):
    return reverse("objectives:cascade", kwargs={"company_slug": company.slug})


def api_url(name, company):
    return reverse(name, kwargs={"company_slug": company.slug})


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="FY 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))


@pytest.fixture
def world(company, cycle, make_member):
    owner = make_member(company, Role.MEMBER, first_name="Jonas", last_name="Weber")
    top = svc.objective_create(cycle=cycle, title="Grow profitably", actor=None)
    second = svc.objective_create(cycle=cycle, title="Happy customers", actor=None)
    child = svc.objective_create(cycle=cycle, title="More qualified leads", parent=top, team="marketing", actor=None)
    kr = svc.key_result_create(
        objective=child, title="Qualified leads +18 %", kind="increase_to", unit="percent", target_value=18,
        owner=owner, actor=None,
    )  # fmt: skip
    money = svc.key_result_create(
        objective=second, title="Upsell revenue", kind="increase_to", unit="currency", target_value=50000, actor=None
    )
    return {"cycle": cycle, "top": top, "second": second, "child": child, "kr": kr, "money": money, "owner": owner}


def tree(client, cycle, **headers):
    return client.get(page_url(cycle.company), {"cycle": cycle.pk, "partial": "tree"}, **headers)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def row(html: str, kind: str, pk: int) -> str:
    """The opening tag of a row (its data attributes)."""
    prefix = "o" if kind == "objective" else "k"
    match = re.search(rf'<li id="{prefix}-{pk}"[^>]*>', html)
    return match.group(0) if match else ""


def order(html: str, *titles: str) -> list[str]:
    return sorted(titles, key=html.index)


# Each case: what a service does, and what the next read must show (a function of the world and the new HTML).
def _create(w):
    svc.objective_create(cycle=w["cycle"], title="Win the DACH region", actor=None)
    return lambda html: "Win the DACH region" in html


def _update(w):
    svc.objective_update(objective=w["top"], version=fresh(w["top"]).version, title="Grow with profit", actor=None)
    return lambda html: "Grow with profit" in html and "Grow profitably" not in html


def _move(w):
    svc.objective_move(objective=w["second"], version=fresh(w["second"]).version, parent=None, position=0, actor=None)
    return lambda html: order(html, "Grow profitably", "Happy customers") == ["Happy customers", "Grow profitably"]


def _indent(w):
    svc.objective_indent(objective=w["second"], version=fresh(w["second"]).version, actor=None)
    return lambda html: f'data-parent="{w["top"].pk}"' in row(html, "objective", w["second"].pk)


def _outdent(w):
    svc.objective_outdent(objective=w["child"], version=fresh(w["child"]).version, actor=None)
    return lambda html: 'data-parent=""' in row(html, "objective", w["child"].pk)


def _delete(w):
    svc.key_result_delete(key_result=w["money"], version=fresh(w["money"]).version, actor=None)
    svc.objective_delete(objective=w["second"], version=fresh(w["second"]).version, actor=None)
    return lambda html: "Happy customers" not in html


def _links(w):
    svc.objective_links_set(objective=w["child"], targets=[w["second"]], actor=None)
    return lambda html: "1 more parent" in html


def _kr_create(w):
    svc.key_result_create(objective=w["top"], title="Margin 12 %", kind="increase_to", target_value=12, actor=None)
    return lambda html: "Margin 12 %" in html


def _kr_update(w):
    svc.key_result_update(key_result=w["kr"], version=fresh(w["kr"]).version, title="Qualified leads +25 %", actor=None)
    return lambda html: "Qualified leads +25 %" in html and "+18 %" not in html


def _kr_move(w):
    kr = w["kr"]
    svc.key_result_move(key_result=kr, version=fresh(kr).version, objective=w["second"], position=0, actor=None)
    return lambda html: f'data-objective="{w["second"].pk}"' in row(html, "kr", kr.pk)


def _kr_delete(w):
    svc.key_result_delete(key_result=w["kr"], version=fresh(w["kr"]).version, actor=None)
    return lambda html: "Qualified leads +18 %" not in html


def _check_in(w):
    svc.check_in_create(key_result=w["kr"], value=Decimal("9"), confidence=Decimal("0.7"), actor=None)
    return lambda html: re.search(r'<span class="kr-values">9\s?%', html.split(f'id="k-{w["kr"].pk}"')[1]) is not None


def _activate(w):
    svc.cycle_activate(cycle=w["cycle"], actor=None)
    return lambda html: 'data-action="delete"' not in html and "data-add-root" not in html


def _close(w):
    svc.cycle_activate(cycle=w["cycle"], actor=None)
    svc.cycle_close(cycle=fresh(w["cycle"]), actor=None)
    return lambda html: 'data-action="check-in"' not in html


def _reminder_days(w):
    svc.cascade_settings_update(company=w["cycle"].company, actor=None, reminder_after_days=30)
    return lambda html: "is-stale" not in row(html, "kr", w["kr"].pk)


def _checked_in_ten_days_ago(w):
    """Stale with the default 7 days, not with 30."""
    KeyResult.objects.filter(pk=w["kr"].pk).update(last_check_in_at=timezone.now() - dt.timedelta(days=10))
    versions.bump("okr", company_id=w["cycle"].company_id)  # update() sends no signal


_reminder_days.arrange = _checked_in_ten_days_ago


def _person(w):
    owner = get_user_model().objects.get(pk=w["owner"].pk)
    owner.last_name = "Weber-Schulz"
    owner.save()
    return lambda html: "Jonas Weber-Schulz" in html


def _company_currency(w):
    company = w["cycle"].company
    company.currency = "USD"
    company.save()
    return lambda html: "$" in row_block(html, w["money"].pk)


def row_block(html: str, kr_pk: int) -> str:
    return html.split(f'id="k-{kr_pk}"')[1].split("</li>")[0]


CHANGES = {
    "objective_create": _create,
    "objective_update": _update,
    "objective_move": _move,
    "objective_indent": _indent,
    "objective_outdent": _outdent,
    "objective_delete": _delete,
    "objective_links_set": _links,
    "key_result_create": _kr_create,
    "key_result_update": _kr_update,
    "key_result_move": _kr_move,
    "key_result_delete": _kr_delete,
    "check_in_create": _check_in,
    "cycle_activate": _activate,
    "cycle_close": _close,
    "cascade_settings_update": _reminder_days,
    "a person's name (any path: admin, shell)": _person,
    "the company's currency (admin)": _company_currency,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_makes_the_next_read_fresh_and_moves_every_etag(company, world, client_for, change):
    client = client_for(company, Role.FACILITATOR)
    api = client_for(company, Role.FACILITATOR)
    cycle = world["cycle"]
    if hasattr(change, "arrange"):
        change.arrange(world)
    before = tree(client, cycle)
    assert tree(client, cycle, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304  # cached, unchanged
    full_before = client.get(page_url(company), {"cycle": cycle.pk}).content.decode()
    api_before = api.get(api_url("api-cascade", company), {"cycle": cycle.pk})
    signature_before = api.get(api_url("api-cascade-signature", company), {"cycle": cycle.pk})

    shows = change(world)

    after = tree(client, cycle, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    html = after.content.decode()
    assert not shows(before.content.decode()) and shows(html)
    assert shows(client.get(page_url(company), {"cycle": cycle.pk}).content.decode())
    assert not shows(full_before)
    api_after = api.get(api_url("api-cascade", company), {"cycle": cycle.pk}, HTTP_IF_NONE_MATCH=api_before["ETag"])
    assert api_after.status_code == 200
    if change is not _company_currency:  # the API's amounts carry no currency
        assert api_after.json() != api_before.json()
    if change not in (_person, _company_currency, _reminder_days):  # the signature follows the cascade's own rows
        signature = api.get(
            api_url("api-cascade-signature", company), {"cycle": cycle.pk}, HTTP_IF_NONE_MATCH=signature_before["ETag"]
        )
        assert signature.status_code == 200 and signature.json() != signature_before.json()


def test_carry_over_fills_the_cached_tree_of_the_target_cycle(company, world, client_for):
    client = client_for(company, Role.FACILITATOR)
    target = CycleFactory(
        company=company, name="FY 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31)
    )
    empty = tree(client, target)
    assert "Grow profitably" not in empty.content.decode()
    svc.cycle_carry_over(source=world["cycle"], target=target, actor=None)
    after = tree(client, target, HTTP_IF_NONE_MATCH=empty["ETag"])
    assert after.status_code == 200 and "Grow profitably" in after.content.decode()


def test_a_change_between_two_reads_on_another_connection_path_is_seen(company, world, client_for):
    """Read (and cache), change through the API as another user, read again: the second read has the change."""
    facilitator = client_for(company, Role.FACILITATOR)
    other = client_for(company, Role.FACILITATOR)
    cycle = world["cycle"]
    first = tree(facilitator, cycle).content.decode()
    assert "Renamed live" not in first
    top = fresh(world["top"])
    response = other.patch(
        reverse("api-objective", kwargs={"company_slug": company.slug, "pk": top.pk}),
        {"title": "Renamed live", "version": top.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert "Renamed live" in tree(facilitator, cycle).content.decode()


def test_signature_api_answers_304_while_nothing_changed_also_to_a_weak_etag(company, world, client_for):
    client = client_for(company, Role.MEMBER)
    url = api_url("api-cascade-signature", company)
    first = client.get(url, {"cycle": world["cycle"].pk})
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = client.get(url, {"cycle": world["cycle"].pk}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    weak = client.get(url, {"cycle": world["cycle"].pk}, HTTP_IF_NONE_MATCH="W/" + first["ETag"])
    assert weak.status_code == 304  # what GZipMiddleware makes of the ETag
    assert client.get(url, {"cycle": world["cycle"].pk}, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_page_carries_the_etag_of_its_first_signature_poll(company, world, client_for):
    client = client_for(company, Role.MEMBER)
    html = client.get(page_url(company), {"cycle": world["cycle"].pk}).content.decode()
    carried = re.search(r'data-signature-etag="([^"]+)"', html).group(1).replace("&quot;", '"')
    poll = client.get(
        api_url("api-cascade-signature", company), {"cycle": world["cycle"].pk}, HTTP_IF_NONE_MATCH=carried
    )
    assert poll.status_code == 304


def test_what_the_role_may_do_is_part_of_the_cached_tree(company, world, client_for):
    facilitator = tree(client_for(company, Role.FACILITATOR), world["cycle"]).content.decode()
    member = tree(client_for(company, Role.MEMBER), world["cycle"]).content.decode()
    assert 'data-action="delete"' in facilitator
    assert 'data-action="delete"' not in member
    # a member may check in only on their own key results: Jonas sees the button on his, another member does not
    jonas = client_for(company, Role.EXECUTIVE)
    jonas.force_login(world["owner"])
    own = row(tree(jonas, world["cycle"]).content.decode(), "kr", world["kr"].pk)
    assert 'data-can-check-in="1"' in own
    assert 'data-can-check-in="1"' not in row(member, "kr", world["kr"].pk)


def test_a_key_result_turning_stale_by_the_clock_alone_is_rendered_anew(company, world, client_for, monkeypatch):
    client = client_for(company, Role.MEMBER)
    first = tree(client, world["cycle"])
    assert "is-stale" not in row(first.content.decode(), "kr", world["kr"].pk)
    later = timezone.now() + dt.timedelta(days=8)
    monkeypatch.setattr(timezone, "now", lambda: later)
    second = tree(client, world["cycle"], HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert "is-stale" in row(second.content.decode(), "kr", world["kr"].pk)


def test_german_and_english_are_cached_apart(company, world, client_for):
    client = client_for(company, Role.MEMBER)
    english = tree(client, world["cycle"]).content.decode()
    german = tree(client, world["cycle"], HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "behind the expected progress" in english and "erwarteten Fortschritt" not in english
    assert "erwarteten Fortschritt" in german and "behind the expected progress" not in german


def _queries(client, *args, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(*args, **kwargs)
    return len(captured), response


@pytest.mark.parametrize("objectives", [3, 30])
def test_a_cached_tree_costs_the_queries_of_the_signature_poll(company, cycle, client_for, objectives):
    for index in range(objectives):
        objective = svc.objective_create(cycle=cycle, title=f"Objective {index}", actor=None)
        svc.key_result_create(objective=objective, title=f"KR {index}", kind="increase_to", target_value=10, actor=None)
    client = client_for(company, Role.MEMBER)
    poll, _ = _queries(client, api_url("api-cascade-signature", company), {"cycle": cycle.pk})
    miss, first = _queries(client, page_url(company), {"cycle": cycle.pk, "partial": "tree"})
    hit, second = _queries(client, page_url(company), {"cycle": cycle.pk, "partial": "tree"})
    not_modified, third = _queries(
        client, page_url(company), {"cycle": cycle.pk, "partial": "tree"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert second.content == first.content and third.status_code == 304
    # session, user, membership, the cycle and the signature (the version): the same as the signature poll
    assert hit <= poll and not_modified <= poll
    assert miss > hit
    api_first, body = _queries(client, api_url("api-cascade", company), {"cycle": cycle.pk})
    api_hit, again = _queries(client, api_url("api-cascade", company), {"cycle": cycle.pk})
    assert again.json() == body.json() and api_hit <= poll < api_first


def test_another_companys_cycle_is_still_a_404_with_a_warm_cache(company, other_company, world, client_for):
    tree(client_for(company, Role.MEMBER), world["cycle"])
    stranger = client_for(other_company, Role.FACILITATOR)
    response = stranger.get(page_url(other_company), {"cycle": world["cycle"].pk, "partial": "tree"})
    assert response.status_code == 404
    assert Cycle.objects.filter(company=other_company).count() == 0
