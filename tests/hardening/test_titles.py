"""Finding 12 of issue 12 (titles): a title made only of zero-width characters is refused like a blank one, and
bidi override/isolate controls (U+202A–U+202E, U+2066–U+2069) are removed, by one normalising step every title
and name field runs in full_clean() (core.safety.TitleField), whatever the path (page, API, admin, import)."""

from __future__ import annotations

import pytest

from budgets.models import BudgetLine
from companies.permissions import Role
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import ChannelFactory

pytestmark = pytest.mark.django_db

BLANK = "Enter a title (it must not be blank)."
INVISIBLE = ["\u200b", "\u200b\u200c\u200d\ufeff", " \u2060 ", "\u202e\u202c", "\u2066\u2069\u200b"]


@pytest.fixture
def setup(company, api_client_for):
    cycle = CycleFactory(company=company)
    objective = ObjectiveFactory(cycle=cycle)
    kr = KeyResultFactory(objective=objective)
    channel = ChannelFactory(company=company)
    api = api_client_for(company, Role.CMO)
    payloads = {
        "cycles/": ({"name": None, "kind": "custom", "start_date": "2026-01-01", "end_date": "2026-06-30"}, "name"),
        "objectives/": ({"cycle": cycle.pk, "title": None}, "title"),
        "key-results/": (
            {"objective": objective.pk, "title": None, "kind": "increase_to", "target_value": "10"},
            "title",
        ),
        "initiatives/": ({"cycle": cycle.pk, "title": None}, "title"),
        "budget-lines/": (
            {"cycle": cycle.pk, "channel": channel.pk, "title": None, "planned_amount": "100.00", "key_result": kr.pk},
            "title",
        ),
    }
    return api, payloads


MODELS = {"cycles/": Cycle, "objectives/": Objective, "key-results/": KeyResult, "initiatives/": Initiative,
          "budget-lines/": BudgetLine}  # fmt: skip


@pytest.mark.parametrize("title", INVISIBLE)
def test_invisible_titles_are_refused_through_the_api(setup, title):
    api, payloads = setup
    for endpoint, (payload, field) in payloads.items():
        before = MODELS[endpoint].objects.count()
        response = api.post(f"/api/v1/companies/acme/{endpoint}", {**payload, field: title}, format="json")
        assert response.status_code == 400, (endpoint, response.content)
        assert response.json()[field] == [BLANK], endpoint
        assert MODELS[endpoint].objects.count() == before


def test_bidi_controls_are_stripped_through_the_api(setup):
    api, payloads = setup
    for endpoint, (payload, field) in payloads.items():
        sent = "Rechnung\u202egdp.exe\u202c \u2067Q3\u2069"
        response = api.post(f"/api/v1/companies/acme/{endpoint}", {**payload, field: sent}, format="json")
        assert response.status_code == 201, (endpoint, response.content)
        stored = MODELS[endpoint].objects.get(pk=response.json()["id"])
        assert getattr(stored, field) == "Rechnunggdp.exe Q3", endpoint


def test_line_breaks_become_spaces_and_emoji_sequences_stay(setup):
    api, payloads = setup
    payload, _field = payloads["objectives/"]
    response = api.post("/api/v1/companies/acme/objectives/", {**payload, "title": "Team\r\nErfolg 👩\u200d💻"},
                        format="json")  # fmt: skip
    assert Objective.objects.get(pk=response.json()["id"]).title == "Team Erfolg 👩\u200d💻"


def test_invisible_titles_are_refused_on_the_pages(company, client_for):
    cycle = CycleFactory(company=company)
    channel = ChannelFactory(company=company)
    client = client_for(company, Role.CMO)
    response = client.post("/c/acme/budgets/new/", {"title": "\u200b\u200b", "cycle": cycle.pk,
                                                     "channel": channel.pk, "planned_amount": "100"})  # fmt: skip
    assert BLANK in response.content.decode()
    assert not BudgetLine.objects.exists()
    page = client.post("/c/acme/cascade/cycles/new/", {"name": "\u2066\u2069", "kind": "custom",
                                                        "start_date": "2026-01-01", "end_date": "2026-03-31"},
                       follow=True)  # fmt: skip
    assert BLANK in page.content.decode()
    assert not Cycle.objects.exclude(pk=cycle.pk).exists()
