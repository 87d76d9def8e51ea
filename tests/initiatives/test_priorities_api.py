"""The priorities API: same services and permissions as the pages; 400/403/404; constant query counts."""

from decimal import Decimal

import pytest

from companies.permissions import Role
from initiatives.models import Initiative, InitiativeRating, PrioritySettings
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory, InitiativeRatingFactory, PrioritySettingsFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/companies/acme"


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="2026")


@pytest.fixture
def key_result(cycle):
    return KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), title="Pipeline +20 %")


def test_create_list_and_update_initiatives(company, cycle, key_result, api_client_for):
    client = api_client_for(company, Role.FACILITATOR)
    response = client.post(
        f"{BASE}/initiatives/",
        {
            "cycle": cycle.pk,
            "title": "Webinar-Reihe",
            "key_results": [key_result.pk],
            "estimated_cost": "18000.00",
            "owner": client.user.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "proposed"
    assert data["key_results"] == [{"id": key_result.pk, "title": "Pipeline +20 %"}]
    assert data["estimated_cost"] == "18000.00"
    listing = client.get(f"{BASE}/initiatives/?cycle={cycle.pk}").json()
    assert [row["title"] for row in listing["results"]] == ["Webinar-Reihe"]
    patched = client.patch(f"{BASE}/initiatives/{data['id']}/", {"title": "Webinare 2026"}, format="json")
    assert patched.status_code == 200
    initiative = Initiative.objects.get(pk=data["id"])
    assert initiative.title == "Webinare 2026"
    assert list(initiative.key_results.all()) == [key_result]  # untouched by a partial update


def test_bad_input_is_400_with_field_errors_and_changes_nothing(company, other_company, cycle, api_client_for):
    client = api_client_for(company, Role.CMO)
    foreign_kr = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=other_company)))
    response = client.post(
        f"{BASE}/initiatives/",
        {"cycle": cycle.pk, "title": "", "key_results": [foreign_kr.pk], "estimated_cost": "-5"},
        format="json",
    )
    assert response.status_code == 400
    assert {"title", "key_results", "estimated_cost"} <= set(response.json())
    assert not Initiative.objects.exists()
    other_cycle = CycleFactory(company=other_company)
    response = client.post(f"{BASE}/initiatives/", {"cycle": other_cycle.pk, "title": "X"}, format="json")
    assert response.status_code == 400 and "cycle" in response.json()


def test_activation_rules_through_the_api(company, cycle, key_result, api_client_for):
    client = api_client_for(company, Role.FACILITATOR)
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    unbound = InitiativeFactory(cycle=cycle)
    response = client.post(f"{BASE}/initiatives/{unbound.pk}/activate/")
    assert response.status_code == 400
    assert "key_results" in response.json()
    first = InitiativeFactory(cycle=cycle, key_results=[key_result])
    second = InitiativeFactory(cycle=cycle, key_results=[key_result])
    assert client.post(f"{BASE}/initiatives/{first.pk}/activate/").json()["state"] == "active"
    refused = client.post(f"{BASE}/initiatives/{second.pk}/activate/")
    assert refused.status_code == 400
    assert "focus limit of this cycle is 1 active initiative" in refused.json()["state"][0]
    assert client.post(f"{BASE}/initiatives/{first.pk}/pause/").json()["state"] == "paused"
    assert client.post(f"{BASE}/initiatives/{second.pk}/activate/").json()["state"] == "active"
    assert client.post(f"{BASE}/initiatives/{second.pk}/done/").json()["state"] == "done"
    assert client.post(f"{BASE}/initiatives/{first.pk}/drop/").json()["state"] == "dropped"
    assert client.post(f"{BASE}/initiatives/{first.pk}/explode/").status_code == 404


def test_another_companys_initiative_is_404(company, other_company, api_client_for):
    foreign = InitiativeFactory(cycle=CycleFactory(company=other_company))
    client = api_client_for(company, Role.FACILITATOR)
    assert client.get(f"{BASE}/initiatives/{foreign.pk}/").status_code == 404
    assert client.post(f"{BASE}/initiatives/{foreign.pk}/activate/").status_code == 404
    assert client.post(f"{BASE}/initiatives/{foreign.pk}/ratings/", {"contribution": 3, "effort": 3}).status_code == 404
    assert client.get(f"{BASE}/priority-matrix/?cycle={foreign.cycle_id}").status_code == 404
    assert client.post(f"{BASE}/priority-round/open/?cycle={foreign.cycle_id}").status_code == 404
    assert api_client_for(other_company, Role.MEMBER).get(f"{BASE}/initiatives/").status_code == 404


@pytest.mark.parametrize(
    ("role", "manage", "rate", "run_round"),
    [
        (Role.FACILITATOR, True, True, True),
        (Role.CMO, True, True, True),
        (Role.EXECUTIVE, False, True, False),
        (Role.MEMBER, False, True, False),
    ],
)
def test_permissions_per_role(company, cycle, key_result, api_client_for, role, manage, rate, run_round):
    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    client = api_client_for(company, role)
    assert client.get(f"{BASE}/initiatives/").status_code == 200
    assert client.get(f"{BASE}/priority-matrix/?cycle={cycle.pk}").status_code == 200
    created = client.post(f"{BASE}/initiatives/", {"cycle": cycle.pk, "title": "New"}, format="json")
    assert created.status_code == (201 if manage else 403)
    assert client.patch(f"{BASE}/initiatives/{initiative.pk}/", {"title": "T"}, format="json").status_code == (
        200 if manage else 403
    )
    assert client.post(f"{BASE}/initiatives/{initiative.pk}/activate/").status_code == (200 if manage else 403)
    rated = client.post(f"{BASE}/initiatives/{initiative.pk}/ratings/", {"contribution": 4, "effort": 2})
    assert rated.status_code == (201 if rate else 403)
    assert client.post(f"{BASE}/priority-round/reveal/?cycle={cycle.pk}").status_code == (200 if run_round else 403)
    final = client.post(f"{BASE}/initiatives/{initiative.pk}/final/", {"contribution": "4.5", "effort": ""})
    assert final.status_code == (200 if run_round else 403)
    settings = client.patch(f"{BASE}/priority-round/?cycle={cycle.pk}", {"focus_limit": 5}, format="json")
    assert settings.status_code == (200 if manage else 403)
    assert PrioritySettings.objects.get(cycle=cycle).revealed is run_round


def test_rating_via_api_created_then_changed_and_refused_when_closed(company, cycle, api_client_for):
    settings = PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle)
    client = api_client_for(company, Role.MEMBER)
    url = f"{BASE}/initiatives/{initiative.pk}/ratings/"
    assert client.post(url, {"contribution": 4, "effort": 2}).status_code == 201
    assert client.post(url, {"contribution": 5, "effort": 2}).status_code == 200
    bad = client.post(url, {"contribution": 9, "effort": "x"})
    assert bad.status_code == 400 and "effort" in bad.json()
    settings.rating_state = "closed"
    settings.save()
    closed = client.post(url, {"contribution": 1, "effort": 1})
    assert closed.status_code == 400
    assert "closed" in closed.json()["non_field_errors"][0]
    assert InitiativeRating.objects.get().contribution == 5


def test_ratings_and_medians_hidden_until_revealed(company, cycle, api_client_for, make_member):
    settings = PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle)
    member = api_client_for(company, Role.MEMBER)
    facilitator = api_client_for(company, Role.FACILITATOR)
    InitiativeRatingFactory(initiative=initiative, rater=member.user, contribution=5, effort=1)
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=1, effort=5)
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=2, effort=4)

    seen = member.get(f"{BASE}/initiatives/{initiative.pk}/ratings/").json()
    assert seen["revealed"] is False
    assert [(r["contribution"], r["effort"]) for r in seen["ratings"]] == [(5, 1)]
    point = member.get(f"{BASE}/priority-matrix/?cycle={cycle.pk}").json()["points"][0]
    assert point["contribution"] is None and point["median_contribution"] is None and point["rank"] is None
    assert point["contribution_spread"] is None
    assert point["my_rating"] == {"contribution": 5, "effort": 1}

    moderator = facilitator.get(f"{BASE}/priority-matrix/?cycle={cycle.pk}").json()
    assert moderator["points"][0]["contribution"] == "2"
    assert moderator["points"][0]["contribution_spread"] == [1, 5]
    assert moderator["points"][0]["rating_count"] == 3
    assert len(facilitator.get(f"{BASE}/initiatives/{initiative.pk}/ratings/").json()["ratings"]) == 3

    settings.revealed = True
    settings.save()
    point = member.get(f"{BASE}/priority-matrix/?cycle={cycle.pk}").json()["points"][0]
    assert (point["contribution"], point["effort"], point["quadrant"], point["rank"]) == ("2", "4", "time_sinks", 1)
    assert len(member.get(f"{BASE}/initiatives/{initiative.pk}/ratings/").json()["ratings"]) == 3


def test_priority_matrix_response_holds_points_quadrants_and_ranks(company, cycle, key_result, api_client_for):
    PrioritySettingsFactory(cycle=cycle, revealed=True, focus_limit=4, midpoint=Decimal("3"))
    quick = InitiativeFactory(cycle=cycle, title="Quick", key_results=[key_result], estimated_cost=Decimal("1000"))
    sink = InitiativeFactory(cycle=cycle, title="Sink")
    InitiativeRatingFactory(initiative=quick, contribution=5, effort=1)
    InitiativeRatingFactory(initiative=sink, contribution=1, effort=5)
    data = api_client_for(company, Role.EXECUTIVE).get(f"{BASE}/priority-matrix/?cycle={cycle.pk}").json()
    assert data["focus_limit"] == 4
    assert [q["key"] for q in data["quadrants"]] == ["quick_wins", "big_bets", "fill_ins", "time_sinks"]
    assert {q["key"]: q["count"] for q in data["quadrants"]} == {
        "quick_wins": 1,
        "big_bets": 0,
        "fill_ins": 0,
        "time_sinks": 1,
    }
    assert [(p["title"], p["rank"], p["quadrant"], p["priority"]) for p in data["points"]] == [
        ("Quick", 1, "quick_wins", "5.00"),
        ("Sink", 2, "time_sinks", "0.20"),
    ]
    assert data["points"][0]["url"] == f"/c/acme/priorities/{quick.pk}/"
    assert data["anchors"]["contribution"]["5"] == "Moves a key result decisively"
    assert data["anchors"]["effort"]["1"] == "A few days of one person"


def test_priority_round_settings_validation(company, cycle, api_client_for):
    client = api_client_for(company, Role.FACILITATOR)
    url = f"{BASE}/priority-round/?cycle={cycle.pk}"
    bad = client.patch(url, {"focus_limit": "0", "midpoint": "7"}, format="json")
    assert bad.status_code == 400 and "focus_limit" in bad.json()
    missing = client.post(f"{BASE}/priority-round/open/")
    assert missing.status_code == 400 and "cycle" in missing.json()
    good = client.patch(url, {"focus_limit": 8, "midpoint": "2.5"}, format="json")
    assert good.json() == {
        "cycle": cycle.pk,
        "rating_state": "closed",
        "revealed": False,
        "focus_limit": 8,
        "midpoint": "2.5",
    }
    assert client.post(f"{BASE}/priority-round/open/?cycle={cycle.pk}").json()["rating_state"] == "open"
    assert client.post(f"{BASE}/priority-round/explode/?cycle={cycle.pk}").status_code == 404


def _populate(company, cycle, make_member, count, raters=4):
    people = [make_member(company) for _ in range(raters)]
    for i in range(count):
        kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
        initiative = InitiativeFactory(cycle=cycle, key_results=[kr], estimated_cost=Decimal(1000 + i))
        for n, person in enumerate(people):
            InitiativeRatingFactory(
                initiative=initiative, rater=person, contribution=(i + n) % 5 + 1, effort=(i * 3 + n) % 5 + 1
            )


@pytest.mark.parametrize("size", [5, 60])
def test_priority_matrix_api_query_count_is_constant(
    company, cycle, api_client_for, make_member, size, django_assert_max_num_queries
):
    PrioritySettingsFactory(cycle=cycle, revealed=True)
    _populate(company, cycle, make_member, size)
    client = api_client_for(company, Role.MEMBER)
    with django_assert_max_num_queries(12):
        response = client.get(f"{BASE}/priority-matrix/?cycle={cycle.pk}")
    assert len(response.json()["points"]) == size
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/initiatives/?cycle={cycle.pk}")
    assert response.json()["count"] == size
