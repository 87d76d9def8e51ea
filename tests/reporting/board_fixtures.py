"""Fixtures of the board tests: a fake KPI registry (so snapshot mechanics are tested independently of the KPI
formulas, which have their own hand-computed tests), an active cycle around today, and a snapshot builder.

Import the fixtures you use into the test module: ``from tests.reporting.board_fixtures import fake_kpis_fixture``
(registered under the name ``fake_kpis``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from objectives.models import Cycle
from reporting import kpis
from tests.factories import CycleFactory


@dataclass
class FakeKpis:
    """Values the fake KPIs return: base + period month (so every period differs); ``block`` pauses a refresh
    inside its transaction (after the snapshots are written, before commit) until released."""

    base: dict = field(default_factory=lambda: {"fake_leads": Decimal("100"), "fake_cost": Decimal("80")})
    targets: dict = field(default_factory=lambda: {"fake_leads": Decimal("120"), "fake_cost": None})
    fail_on: str | None = None  # a period key whose computation raises
    computed: list[tuple[str, str]] = field(default_factory=list)  # (thread name, period key)
    check_in_batches: list[list] = field(default_factory=list)
    block: threading.Event | None = None
    blocked: threading.Event = field(default_factory=threading.Event)

    def value(self, key: str, period) -> Decimal:
        return self.base[key] + period.start.month


@pytest.fixture(name="fake_kpis")
def fake_kpis_fixture(monkeypatch) -> FakeKpis:
    state = FakeKpis()
    registry = {
        "fake_leads": SimpleNamespace(
            key="fake_leads", label="Fake qualified leads", unit="number", higher_is_better=True, compute=None
        ),
        "fake_cost": SimpleNamespace(
            key="fake_cost", label="Fake cost per lead", unit="currency", higher_is_better=False, compute=None
        ),
    }

    def compute_kpis(*, company, period, keys=None, book=None):
        if state.fail_on == period.key:
            raise RuntimeError(f"cannot compute {period.key}")
        state.computed.append((threading.current_thread().name, period.key))
        return [
            kpis.KpiResult(
                key=key,
                value=state.value(key, period),
                target=state.targets[key],
                unit=registry[key].unit,
                breakdown={"period": period.key, "segments": {"Energie": 3, "Industrie": 2}},
            )
            for key in (keys or registry)
        ]

    def kpi_auto_check_ins(*, company, results):
        state.check_in_batches.append(list(results))
        if state.block is not None:
            state.blocked.set()
            state.block.wait(timeout=30)
        return 0

    monkeypatch.setattr(kpis, "KPIS", registry)
    monkeypatch.setattr(kpis, "compute_kpis", compute_kpis)
    monkeypatch.setattr(kpis, "kpi_auto_check_ins", kpi_auto_check_ins)
    return state


@pytest.fixture(name="today")
def today_fixture() -> dt.date:
    return timezone.localdate()


@pytest.fixture(name="active_cycle")
def active_cycle_fixture(company, today) -> Cycle:
    return CycleFactory(
        company=company,
        name=f"FY {today.year}",
        kind=Cycle.Kind.YEAR,
        start_date=dt.date(today.year, 1, 1),
        end_date=dt.date(today.year, 12, 31),
        state=Cycle.State.ACTIVE,
    )
