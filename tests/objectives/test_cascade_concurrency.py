"""Two people, one cascade: concurrent saves with the same version — exactly one wins, the other gets a 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import StaleVersion
from objectives.models import Objective
from objectives.services import cascade as svc
from tests.conftest import IN_CI
from tests.factories_cascade import CycleFactory, ObjectiveFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql" and not IN_CI, reason="row locks need PostgreSQL"),
]


def test_concurrent_saves_of_the_same_version_never_both_win(company):
    objective = ObjectiveFactory(cycle=CycleFactory(company=company), title="Start")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save(title: str) -> None:
        from django.db import connections

        try:
            barrier.wait()
            svc.objective_update(objective=objective, version=1, actor=None, title=title)
            result = "saved"
        except StaleVersion:
            result = "stale"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=save, args=(f"Title {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]
    assert Objective.objects.get().version == 2


def test_concurrent_inserts_keep_positions_unique(company):
    cycle = CycleFactory(company=company)
    barrier = threading.Barrier(4)

    def add(title: str) -> None:
        from django.db import connections

        try:
            barrier.wait()
            svc.objective_create(cycle=cycle, title=title, actor=None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(f"O{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(Objective.objects.filter(cycle=cycle).values_list("position", flat=True)) == [0, 1, 2, 3]
