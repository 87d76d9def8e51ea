"""Priority pages: matrix, live refresh, rating view, state toggles, facilitator controls, initiative pages."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from companies.models import Company
from companies.permissions import Role
from initiatives.models import Initiative, InitiativeRating, PrioritySettings
from objectives.models import Cycle, KeyResult
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory, InitiativeRatingFactory, PrioritySettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="Geschäftsjahr 2026", state=Cycle.State.ACTIVE)


@pytest.fixture
def key_result(cycle):
    return KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), title="Pipeline +20 %")


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def test_nav_entry_and_empty_states(company, client_for):
    client = client_for(company, Role.FACILITATOR)
    html = page(client, "/c/acme/priorities/")
    assert "No cycle yet" in html
    assert 'data-nav="priorities"' in html
    cycle = CycleFactory(company=company)
    html = page(client, f"/c/acme/priorities/?cycle={cycle.pk}")
    assert "No initiatives in this cycle yet" in html
    assert "Create the first initiative" in html
    assert "Create the first initiative" not in page(client_for(company, Role.EXECUTIVE), "/c/acme/priorities/")


def test_matrix_page_shows_chart_data_ranked_list_and_counts(company, cycle, key_result, client_for, make_member):
    import datetime as dt

    previous = CycleFactory(company=company, name="Geschäftsjahr 2025", start_date=dt.date(2025, 1, 1))
    # What ran last year counts, however it ended (closing a cycle marks its initiatives done): 5, not 2.
    for state in ["active", "active", "done", "done", "paused", "dropped", "proposed"]:
        InitiativeFactory(cycle=previous, state=state)
    PrioritySettingsFactory(cycle=cycle, focus_limit=3)
    quick = InitiativeFactory(
        cycle=cycle, title="Webinare", key_results=[key_result], state="active", estimated_cost=Decimal(9000)
    )
    sink = InitiativeFactory(cycle=cycle, title="Hausmesse <b>")
    InitiativeRatingFactory(initiative=quick, rater=make_member(company), contribution=5, effort=1)
    InitiativeRatingFactory(initiative=sink, rater=make_member(company), contribution=1, effort=5)
    html = page(client_for(company, Role.FACILITATOR), "/c/acme/priorities/")
    assert 'id="priority-figure"' in html and "<script>" not in html.replace('type="application/json"', "")
    assert "vendor/plotly.min.js" in html
    assert "Quick wins" in html and "Time sinks" in html
    assert "Moves a key result decisively" in html and "A quarter of the whole team" in html
    assert "vs. 5 active in Geschäftsjahr 2025" in html
    assert "−80 %" in html
    assert "Hausmesse &lt;b&gt;" in html
    figure = json.loads(html.split('id="priority-figure" type="application/json">')[1].split("</script>")[0])
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Active", "Proposed"]
    active = figure["data"][0]
    assert (active["x"], active["y"]) == ([1.0], [5.0])
    assert active["customdata"] == [[quick.pk, f"/c/acme/priorities/{quick.pk}/"]]
    assert "Pipeline +20 %" in active["hovertext"][0]
    assert "&lt;b&gt;" in figure["data"][1]["hovertext"][0]  # titles are escaped in the hover
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "<b>Quick wins</b>",
        "<b>Big bets</b>",
        "<b>Fill-ins</b>",
        "<b>Time sinks</b>",
    ]


def test_matrix_page_hides_scores_from_participants_until_revealed(company, cycle, client_for, make_member):
    settings = PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle, title="SEO")
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=5, effort=1)
    member = client_for(company, Role.MEMBER)
    html = page(member, "/c/acme/priorities/")
    assert "Ratings are hidden until the facilitator reveals them" in html
    assert "Quick wins</span>" not in html  # no quadrant badge
    figure = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert figure["data"] == []
    detail = page(member, f"/c/acme/priorities/{initiative.pk}/")
    assert "Ratings are hidden until the facilitator reveals them." in detail
    moderator = page(client_for(company, Role.FACILITATOR), "/c/acme/priorities/")
    assert "Only you and the other moderators see these medians" in moderator
    settings.revealed = True
    settings.save()
    html = page(member, "/c/acme/priorities/")
    assert "Ratings are hidden until" not in html
    assert "quad-quick_wins" in html


def test_state_toggle_respects_the_focus_limit_and_explains_the_refusal(company, cycle, key_result, client_for):
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    InitiativeFactory(cycle=cycle, key_results=[key_result], state="active")
    waiting = InitiativeFactory(cycle=cycle, key_results=[key_result], title="Waiting")
    client = client_for(company, Role.CMO)
    response = client.post(f"/c/acme/priorities/{waiting.pk}/state/", {"action": "activate"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400  # a ValidationError is 400 everywhere (was 422 here)
    toast = json.loads(response.headers["HX-Trigger"])["okr:toast"]
    assert toast["level"] == "error"
    assert "focus limit of this cycle is 1 active initiative" in toast["message"]
    # without JavaScript the refusal comes back as a message on the page
    response = client.post(f"/c/acme/priorities/{waiting.pk}/state/", {"action": "activate"}, follow=True)
    assert "focus limit of this cycle is 1 active initiative" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "proposed"
    response = client.post(f"/c/acme/priorities/{waiting.pk}/state/", {"action": "drop"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert "priorities:changed" in json.loads(response.headers["HX-Trigger"])
    waiting.refresh_from_db()
    assert waiting.state == "dropped"


def test_members_and_executives_cannot_toggle_or_run_rounds(company, cycle, key_result, client_for):
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    for role in (Role.MEMBER, Role.EXECUTIVE):
        client = client_for(company, role)
        html = page(client, "/c/acme/priorities/")
        assert 'value="activate"' not in html and 'value="open"' not in html
        assert client.post(f"/c/acme/priorities/{initiative.pk}/state/", {"action": "activate"}).status_code == 403
        assert client.post("/c/acme/priorities/round/", {"cycle": cycle.pk, "action": "open"}).status_code == 403
        assert client.get(f"/c/acme/priorities/new/?cycle={cycle.pk}").status_code == 403
    initiative.refresh_from_db()
    assert initiative.state == "proposed"
    assert not PrioritySettings.objects.filter(rating_state="open").exists()


def test_other_company_is_404(company, other_company, client_for):
    foreign = InitiativeFactory(cycle=CycleFactory(company=other_company))
    client = client_for(company, Role.FACILITATOR)
    assert client.get(f"/c/acme/priorities/{foreign.pk}/").status_code == 404
    assert client.get(f"/c/acme/priorities/?cycle={foreign.cycle_id}").status_code == 404
    assert client.get("/c/acme/priorities/?cycle=abc").status_code == 404
    assert client.post(f"/c/acme/priorities/{foreign.pk}/state/", {"action": "drop"}).status_code == 404
    assert client.get("/c/other/priorities/").status_code == 404


def test_facilitator_runs_the_round_and_settings(company, cycle, client_for):
    InitiativeFactory(cycle=cycle)
    client = client_for(company, Role.FACILITATOR)
    response = client.post("/c/acme/priorities/round/", {"cycle": cycle.pk, "action": "open"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert PrioritySettings.objects.get(cycle=cycle).rating_state == "open"
    client.post("/c/acme/priorities/round/", {"cycle": cycle.pk, "action": "reveal"})
    assert PrioritySettings.objects.get(cycle=cycle).revealed
    response = client.post("/c/acme/priorities/settings/", {"cycle": cycle.pk, "focus_limit": "0", "midpoint": "3"})
    assert response.status_code == 302
    assert PrioritySettings.objects.get(cycle=cycle).focus_limit is None
    html = client.get(response.url).content.decode()
    assert "Ensure this value is greater than or equal to 1." in html
    client.post("/c/acme/priorities/settings/", {"cycle": cycle.pk, "focus_limit": "6", "midpoint": "2.5"})
    settings = PrioritySettings.objects.get(cycle=cycle)
    assert (settings.focus_limit, settings.midpoint) == (6, Decimal("2.5"))


def test_live_endpoint_answers_204_until_something_changes(company, cycle, client_for, make_member):
    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle, title="Webinare")
    client = client_for(company, Role.FACILITATOR)
    first = client.get(f"/c/acme/priorities/live/?cycle={cycle.pk}").json()
    same = client.get(f"/c/acme/priorities/live/?cycle={cycle.pk}&since={first['signature']}")
    assert same.status_code == 204
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=5, effort=2)
    changed = client.get(f"/c/acme/priorities/live/?cycle={cycle.pk}&since={first['signature']}")
    assert changed.status_code == 200
    data = changed.json()
    assert data["signature"] != first["signature"]
    assert data["figure"]["data"][0]["y"] == [5.0]
    assert 'data-quadrant="quick_wins"' in data["panel"]


def test_live_endpoint_answers_304_to_the_etag_the_page_carries_until_a_rating_changes(
    company, cycle, client_for, make_member
):
    import re

    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle, title="Webinare")
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=3, effort=3)
    client = client_for(company, Role.FACILITATOR)
    html = client.get(f"/c/acme/priorities/?cycle={cycle.pk}").content.decode()
    carried = re.search(r'data-live-etag="([^"]+)"', html).group(1).replace("&quot;", '"')
    live = f"/c/acme/priorities/live/?cycle={cycle.pk}"
    assert client.get(live, HTTP_IF_NONE_MATCH=carried).status_code == 304
    # another viewer (what they may see differs before the reveal) gets the whole answer for that ETag
    participant = client_for(company, Role.MEMBER)
    assert participant.get(live, HTTP_IF_NONE_MATCH=carried).status_code == 200
    InitiativeRatingFactory(initiative=initiative, rater=make_member(company), contribution=5, effort=1)
    changed = client.get(live, HTTP_IF_NONE_MATCH=carried)
    assert changed.status_code == 200 and changed["ETag"] != carried
    assert changed.json()["figure"]["data"][0]["y"] == [4.0]
    assert client.get(live, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_rating_view_one_at_a_time_with_progress(company, cycle, client_for):
    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    first = InitiativeFactory(cycle=cycle, title="A Webinare")
    InitiativeFactory(cycle=cycle, title="B SEO")
    InitiativeFactory(cycle=cycle, title="C Messe", state="dropped")  # decided: not rated
    client = client_for(company, Role.MEMBER)
    html = page(client, f"/c/acme/priorities/rate/?cycle={cycle.pk}")
    assert "0 of 2 rated" in html and "A Webinare" in html and "B SEO" not in html
    assert "Moves a key result decisively" in html and "A few days of one person" in html
    half = client.post(
        f"/c/acme/priorities/rate/?cycle={cycle.pk}",
        {"cycle": cycle.pk, "initiative": first.pk, "n": 1, "contribution": 4},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Now choose the effort too." in half
    assert 'id="contribution-4" name="contribution" value="4" checked' in half
    assert not InitiativeRating.objects.exists()
    saved = client.post(
        f"/c/acme/priorities/rate/?cycle={cycle.pk}",
        {"cycle": cycle.pk, "initiative": first.pk, "n": 1, "contribution": 4, "effort": 2},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Saved." in saved and "1 of 2 rated" in saved
    rating = InitiativeRating.objects.get()
    assert (rating.rater, rating.contribution, rating.effort) == (client.user, 4, 2)
    # without JavaScript the form posts and moves on to the next initiative
    response = client.post(
        f"/c/acme/priorities/rate/?cycle={cycle.pk}",
        {"cycle": cycle.pk, "initiative": first.pk, "n": 1, "contribution": 5, "effort": 2},
    )
    assert response.status_code == 302 and response.url.endswith("&n=2")
    assert "B SEO" in page(client, response.url)


def test_rating_view_when_closed(company, cycle, client_for):
    initiative = InitiativeFactory(cycle=cycle)
    client = client_for(company, Role.MEMBER)
    html = page(client, f"/c/acme/priorities/rate/?cycle={cycle.pk}")
    assert "Rating is closed" in html and "prio-taps" not in html
    response = client.post(
        f"/c/acme/priorities/rate/?cycle={cycle.pk}",
        {"cycle": cycle.pk, "initiative": initiative.pk, "n": 1, "contribution": 4, "effort": 2},
        HTTP_HX_REQUEST="true",
    )
    assert "Rating is closed for this cycle" in response.content.decode()
    assert not InitiativeRating.objects.exists()


def test_create_edit_and_final_values_pages(company, cycle, key_result, client_for):
    client = client_for(company, Role.FACILITATOR)
    form = page(client, f"/c/acme/priorities/new/?cycle={cycle.pk}")
    assert "Pipeline +20 %" in form
    bad = client.post(f"/c/acme/priorities/new/?cycle={cycle.pk}", {"title": "", "estimated_cost": "-1"})
    assert bad.status_code == 200 and "This field is required." in bad.content.decode()
    response = client.post(
        f"/c/acme/priorities/new/?cycle={cycle.pk}",
        {"title": "ABM Stadtwerke", "key_results": [key_result.pk], "estimated_cost": "95000", "owner": client.user.pk},
    )
    assert response.status_code == 302
    initiative = Initiative.objects.get(title="ABM Stadtwerke")
    assert initiative.estimated_cost == Decimal("95000") and initiative.owner == client.user
    response = client.post(
        f"/c/acme/priorities/{initiative.pk}/edit/",
        {"title": "ABM für Stadtwerke", "key_results": [key_result.pk], "effort_days": "80"},
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert (initiative.title, initiative.effort_days, initiative.owner) == ("ABM für Stadtwerke", Decimal(80), None)
    response = client.post(f"/c/acme/priorities/{initiative.pk}/", {"contribution": "4.5", "effort": "4"})
    assert response.status_code == 302
    html = page(client, f"/c/acme/priorities/{initiative.pk}/")
    assert "Final values set by" in html
    initiative.refresh_from_db()
    assert initiative.final_contribution == Decimal("4.5") and initiative.final_set_by == client.user
    bad = client.post(f"/c/acme/priorities/{initiative.pk}/", {"contribution": "7", "effort": ""})
    assert bad.status_code == 200 and "Ensure this value is less than or equal to 5." in bad.content.decode()
    member = client_for(company, Role.MEMBER)
    assert member.post(f"/c/acme/priorities/{initiative.pk}/", {"contribution": "1"}).status_code == 404


def _populate(company, cycle, make_member, count, raters=4):
    people = [make_member(company) for _ in range(raters)]
    for i in range(count):
        kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
        initiative = InitiativeFactory(
            cycle=cycle, key_results=[kr], estimated_cost=Decimal(1000 + i), state=("active", "proposed")[i % 2]
        )
        for n, person in enumerate(people):
            InitiativeRatingFactory(
                initiative=initiative, rater=person, contribution=(i + n) % 5 + 1, effort=(i * 3 + n) % 5 + 1
            )


@pytest.mark.parametrize("size", [5, 60])
def test_matrix_page_and_live_query_count_is_constant(
    company, cycle, client_for, make_member, size, django_assert_max_num_queries
):
    PrioritySettingsFactory(cycle=cycle, revealed=True, focus_limit=40)
    _populate(company, cycle, make_member, size)
    client = client_for(company, Role.FACILITATOR)
    with django_assert_max_num_queries(13):
        html = page(client, f"/c/acme/priorities/?cycle={cycle.pk}")
    assert html.count('class="prio-item"') == size
    with django_assert_max_num_queries(14):
        assert client.get(f"/c/acme/priorities/live/?cycle={cycle.pk}").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(f"/c/acme/priorities/rate/?cycle={cycle.pk}").status_code == 200


def test_demo_without_key_results_creates_nothing():
    from companies import demo as companies_demo
    from initiatives import demo

    company = companies_demo.load()
    demo.load()
    assert not Initiative.objects.filter(company=company).exists()
    assert not Cycle.objects.filter(company=company, name="Geschäftsjahr 2025").exists()


def test_demo_tells_the_prioritisation_story_on_the_cascade():
    from initiatives import demo

    call_command("load_demo", snapshots=False)
    company = Company.objects.get(slug="voltaria")
    cycle = Cycle.objects.get(company=company, name="Geschäftsjahr 2026")
    initiatives = Initiative.objects.filter(company=company, cycle=cycle)
    assert initiatives.count() == 14
    assert initiatives.filter(state="active").count() == 8
    for initiative in initiatives.filter(state="active"):
        krs = list(initiative.key_results.all())
        assert krs and all(kr.objective.cycle_id == cycle.pk for kr in krs)
    fair = initiatives.get(title="Messeauftritt E-world energy & water 2026")
    assert {kr.title for kr in fair.key_results.all()} == {
        "Pipeline je Messe-Euro von 3,0 auf 4,5 € steigern",
        "Anteil nachverfolgter Messekontakte von 40 % auf 90 % steigern",
    }
    assert fair.final_effort == Decimal(4) and fair.final_set_by.username == "lena.berger"
    assert InitiativeRating.objects.filter(initiative__cycle=cycle).count() == 14 * 4
    assert set(InitiativeRating.objects.values_list("rater__username", flat=True)) == set(demo.RATERS)
    previous = Cycle.objects.get(company=company, name="Geschäftsjahr 2025")
    assert Initiative.objects.filter(cycle=previous, state="active").count() == 14
    settings = PrioritySettings.objects.get(cycle=cycle)
    assert (settings.focus_limit, settings.revealed, settings.rating_state) == (8, True, "closed")
    before = (Initiative.objects.count(), InitiativeRating.objects.count(), KeyResult.objects.count())
    demo.load()
    assert (Initiative.objects.count(), InitiativeRating.objects.count(), KeyResult.objects.count()) == before
