"""Issue 19: the priority matrix page answers 304 while nothing it shows has changed (core.conditional).

Every service of the priorities (initiatives, their states and key results, ratings, final values, the rating round
and the matrix settings) makes the next conditional GET a 200 with the new content, whatever path changed the rows
(a key result linked in the shell); what a viewer sees before the reveal is theirs; a 304 costs session, user and
membership."""

from __future__ import annotations

from decimal import Decimal

import pytest

from companies.permissions import Role
from initiatives.models import Initiative
from initiatives.services import initiatives as svc
from objectives.models import Cycle
from tests.conditional_pages import asked_again, kept
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def url(company) -> str:
    return f"/c/{company.slug}/priorities/"


@pytest.fixture
def world(company, make_member):
    cycle = CycleFactory(company=company, name="Geschäftsjahr 2026", state=Cycle.State.ACTIVE)
    key_result = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), title="Pipeline +20 %")
    webinars = InitiativeFactory(cycle=cycle, title="Webinare", key_results=[key_result])
    fair = InitiativeFactory(cycle=cycle, title="Hausmesse")
    rater = make_member(company, Role.MEMBER)
    svc.rating_round_open(cycle=cycle, actor=None)
    svc.initiative_rate(initiative=webinars, contribution=4, effort=2, actor=rater)
    return {"cycle": cycle, "kr": key_result, "webinars": webinars, "fair": fair, "rater": rater}


def _create(w):
    svc.initiative_create(company=w["cycle"].company, cycle=w["cycle"], title="Partnerprogramm", actor=None)
    return lambda html: "Partnerprogramm" in html


def _update(w):
    svc.initiative_update(initiative=w["fair"], title="Hausmesse Süd", actor=None)
    return lambda html: "Hausmesse Süd" in html


def _linked_in_the_shell(w):
    Initiative.objects.get(pk=w["fair"].pk).key_results.add(w["kr"])  # only the many-to-many table changes
    return lambda html: html.count("No key result") == 0


def _activate(w):
    svc.initiative_activate(initiative=w["webinars"], actor=None)
    return lambda html: "state-active" in _item(html, w["webinars"])


def _rate(w):
    svc.initiative_rate(initiative=w["fair"], contribution=5, effort=1, actor=w["rater"])
    return lambda html: "1 rating" in _item(html, w["fair"])


def _final(w):
    svc.initiative_set_final_values(initiative=w["fair"], contribution=Decimal(3), effort=Decimal(3), actor=None)
    return lambda html: "(final)" in html


def _reveal(w):
    svc.rating_round_reveal(cycle=w["cycle"], actor=None)
    return lambda html: "Ratings revealed" in html


def _focus_limit(w):
    svc.priority_settings_update(cycle=w["cycle"], actor=None, focus_limit=7)
    return lambda html: "/ 7<" in html


def _item(html: str, initiative) -> str:
    return _between(html, f'id="initiative-{initiative.pk}"', "</li>")


def _between(html: str, start: str, end: str) -> str:
    if start not in html:
        return ""
    rest = html.split(start, 1)[1]
    return rest.split(end, 1)[0]


CHANGES = {
    "initiative_create": _create,
    "initiative_update": _update,
    "a key result linked (any path)": _linked_in_the_shell,
    "initiative_activate": _activate,
    "initiative_rate": _rate,
    "initiative_set_final_values": _final,
    "rating_round_reveal": _reveal,
    "priority_settings_update": _focus_limit,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_priorities_change_makes_the_next_conditional_get_fresh(company, world, client_for, change):
    client = client_for(company, Role.FACILITATOR)
    page = kept(client, url(company), {"cycle": world["cycle"].pk})
    shows = change(world)
    answer = asked_again(client, url(company), page, {"cycle": world["cycle"].pk})
    assert answer.status_code == 200 and answer["ETag"] != page["ETag"]
    assert not shows(page.content.decode()) and shows(answer.content.decode())


def test_before_the_reveal_a_raters_page_is_their_own(company, world, client_for):
    rater_client = client_for(company, Role.MEMBER)
    rater_client.force_login(world["rater"])
    page = kept(rater_client, url(company), {"cycle": world["cycle"].pk})
    other = client_for(company, Role.MEMBER)
    other.get(url(company), {"cycle": world["cycle"].pk})
    assert asked_again(other, url(company), page, {"cycle": world["cycle"].pk}).status_code == 200


def test_a_304_of_the_priority_matrix_costs_session_user_and_membership(
    company, world, client_for, django_assert_num_queries
):
    client = client_for(company, Role.FACILITATOR)
    page = kept(client, url(company), {"cycle": world["cycle"].pk})
    with django_assert_num_queries(3):
        assert asked_again(client, url(company), page, {"cycle": world["cycle"].pk}).status_code == 304
