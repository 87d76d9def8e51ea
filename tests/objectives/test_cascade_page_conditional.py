"""Issue 19: the whole cascade page answers 304 while nothing it shows has changed (core.conditional).

Every cascade service (the same cases as the cached tree, test_cascade_versions) and the page's own lists (members
and their teams) make the next conditional GET a 200 with the new content; a key result turning stale by the clock
alone is not confirmed; a 304 costs session, user and membership at any size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from companies.models import Membership
from companies.permissions import Role
from companies.services import team_create
from core import versions
from objectives.models import KeyResult
from objectives.services import cascade as svc
from tests.conditional_pages import asked_again, kept
from tests.objectives.test_cascade_versions import CHANGES, cycle, page_url, row, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_cascade_change_makes_the_next_conditional_get_fresh(company, world, client_for, change):  # noqa: F811
    client = client_for(company, Role.FACILITATOR)
    params = {"cycle": world["cycle"].pk}
    if hasattr(change, "arrange"):
        change.arrange(world)
    page = kept(client, page_url(company), params)
    shows = change(world)
    answer = asked_again(client, page_url(company), page, params)
    assert answer.status_code == 200 and answer["ETag"] != page["ETag"]
    assert not shows(page.content.decode()) and shows(answer.content.decode())


def test_a_new_team_shown_in_the_filters_moves_the_etag(company, world, client_for):  # noqa: F811
    client = client_for(company, Role.FACILITATOR)
    params = {"cycle": world["cycle"].pk}
    page = kept(client, page_url(company), params)
    facilitator = Membership.objects.get(company=company, role=Role.FACILITATOR).user
    team_create(company=company, name="Partnervertrieb", actor=facilitator)
    answer = asked_again(client, page_url(company), page, params)
    assert answer.status_code == 200 and "Partnervertrieb" in answer.content.decode()
    assert "Partnervertrieb" not in page.content.decode()


def test_a_key_result_turning_stale_by_the_clock_alone_is_not_confirmed(company, world, client_for, monkeypatch):  # noqa: F811
    # the last check-in was 7 days minus an hour ago: stale (7 days by default) in an hour, the same day mostly
    KeyResult.objects.filter(pk=world["kr"].pk).update(
        last_check_in_at=timezone.now() - dt.timedelta(days=7) + dt.timedelta(hours=1)
    )
    versions.bump("okr", company_id=company.pk)  # update() sends no signal
    client = client_for(company, Role.MEMBER)
    params = {"cycle": world["cycle"].pk}
    page = kept(client, page_url(company), params)
    assert "is-stale" not in row(page.content.decode(), "kr", world["kr"].pk)
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    answer = asked_again(client, page_url(company), page, params)
    assert answer.status_code == 200 and "is-stale" in answer.content.decode()


def test_the_tree_partial_keeps_its_own_etag(company, world, client_for):  # noqa: F811
    client = client_for(company, Role.MEMBER)
    params = {"cycle": world["cycle"].pk, "partial": "tree"}
    client.get(page_url(company), params)
    partial = client.get(page_url(company), params)
    assert partial["Cache-Control"] == "private, no-store"  # polled: the poller remembers its ETag itself
    assert client.get(page_url(company), params, HTTP_IF_NONE_MATCH=partial["ETag"]).status_code == 304


@pytest.mark.parametrize("objectives", [3, 30])
def test_a_304_of_the_cascade_page_costs_session_user_and_membership(
    company,
    cycle,  # noqa: F811 - the fixture
    client_for,
    objectives,
    django_assert_num_queries,
):
    for index in range(objectives):
        objective = svc.objective_create(cycle=cycle, title=f"Objective {index}", actor=None)
        svc.key_result_create(objective=objective, title=f"KR {index}", kind="increase_to", target_value=10, actor=None)
    client = client_for(company, Role.FACILITATOR)
    page = kept(client, page_url(company), {"cycle": cycle.pk})
    with django_assert_num_queries(3):
        assert asked_again(client, page_url(company), page, {"cycle": cycle.pk}).status_code == 304
