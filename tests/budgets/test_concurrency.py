"""Two approvers at the same moment on PostgreSQL: the row lock makes them queue, exactly one decision wins and the
other is told who decided when."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections, transaction

from budgets import services
from budgets.models import BudgetAuditEntry, BudgetLine
from core.errors import Conflict

pytestmark = [pytest.mark.postgres("needs PostgreSQL (row locks)"), pytest.mark.django_db(transaction=True)]


def _waiting_on_a_lock(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_simultaneous_decisions_exactly_one_wins(world, second):
    line = world.line()
    version = line.version
    first_holds_lock = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                services.budget_line_approve(line=line.pk, actor=world.cmo, version=version)
                first_holds_lock.set()
                release.wait(15)
            results["first"] = "ok"
        except Exception as exc:
            results["first"] = exc
            first_holds_lock.set()
        finally:
            connections.close_all()

    def other():
        first_holds_lock.wait(15)
        try:
            if second == "approve":
                services.budget_line_approve(line=line.pk, actor=world.executive, version=version)
            else:
                services.budget_line_reject(line=line.pk, actor=world.executive, reason="zu teuer", version=version)
            results["second"] = "ok"
        except Exception as exc:
            results["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    first_holds_lock.wait(15)
    blocked = _waiting_on_a_lock()
    release.set()
    for thread in threads:
        thread.join(20)
    assert blocked, "the second decision should have waited for the first one's row lock"
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict)
    assert results["second"].status == 409
    assert results["second"].message.startswith("Already approved by Markus Hoffmann at ")
    line.refresh_from_db()
    assert line.state == "approved" and line.approver == world.cmo
    assert BudgetAuditEntry.objects.filter(line=line, event__in=["approve", "reject"]).count() == 1
    assert BudgetLine.objects.get(pk=line.pk).version == version + 1
