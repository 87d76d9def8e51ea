"""Row locks: two simultaneous activations against a focus limit of one cannot both pass (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction

from companies.permissions import Role
from initiatives.models import Initiative
from initiatives.services import initiatives as services
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory, PrioritySettingsFactory

pytestmark = [pytest.mark.postgres("needs PostgreSQL (row locks)"), pytest.mark.django_db(transaction=True)]


def test_a_second_activation_waits_for_the_first_and_is_refused(company, make_member):
    cycle = CycleFactory(company=company)
    key_result = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    facilitator = make_member(company, Role.FACILITATOR)
    first, second = (InitiativeFactory(cycle=cycle, key_results=[key_result]) for _ in range(2))
    first_activated, release_first = threading.Event(), threading.Event()
    outcome = {}

    def activate_first_and_hold():
        try:
            with transaction.atomic():
                services.initiative_activate(initiative=first, actor=facilitator)
                first_activated.set()
                release_first.wait(timeout=10)  # keep the transaction (and its lock) open
        finally:
            connections.close_all()

    def activate_second():
        try:
            services.initiative_activate(initiative=second, actor=facilitator)
            outcome["second"] = "activated"
        except ValidationError as exc:
            outcome["second"] = exc.message_dict["state"][0]
        finally:
            connections.close_all()

    holder = threading.Thread(target=activate_first_and_hold)
    holder.start()
    assert first_activated.wait(timeout=10)
    contender = threading.Thread(target=activate_second)
    contender.start()
    contender.join(timeout=1)
    assert contender.is_alive(), "the second activation must wait for the settings row lock"
    release_first.set()
    holder.join(timeout=10)
    contender.join(timeout=10)
    assert "focus limit of this cycle is 1 active initiative" in outcome["second"]
    assert list(Initiative.objects.filter(cycle=cycle, state="active")) == [first]
