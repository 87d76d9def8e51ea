"""A small budget world: one company with a fiscal-year cycle, a key result, a channel and the three roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from budgets import services
from companies.permissions import Role
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import BudgetSettingsFactory, ChannelFactory


@dataclass
class World:
    company: object
    cycle: object
    objective: object
    kr: object
    channel: object
    cmo: object
    executive: object
    member: object

    def line(self, *, amount="10000.00", bound=True, submit=True, requester=None, title="Messestand Hannover", **kw):
        return services.budget_line_create(
            company=self.company,
            cycle=kw.pop("cycle", self.cycle),
            title=title,
            channel=kw.pop("channel", self.channel),
            planned_amount=Decimal(amount),
            key_result=kw.pop("key_result", self.kr if bound else None),
            actor=requester or self.member,
            submit=submit,
            **kw,
        )

    def approved(self, **kw):
        line = self.line(**kw)
        return services.budget_line_approve(line=line, actor=self.cmo)


@pytest.fixture
def world(company, make_member):
    cycle = CycleFactory(
        company=company, name="Geschäftsjahr 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    objective = ObjectiveFactory(company=company, cycle=cycle, title="Marktführer im Mittelstand")
    kr = KeyResultFactory(company=company, objective=objective, title="500 qualifizierte Leads")
    BudgetSettingsFactory(company=company, cmo_approval_limit=Decimal("50000.00"))
    return World(
        company=company,
        cycle=cycle,
        objective=objective,
        kr=kr,
        channel=ChannelFactory(company=company, name="Messen"),
        cmo=make_member(company, Role.CMO, username="cmo", first_name="Markus", last_name="Hoffmann"),
        executive=make_member(company, Role.EXECUTIVE, username="exec", first_name="Petra", last_name="Schulz"),
        member=make_member(company, Role.MEMBER, username="member", first_name="Jonas", last_name="Weber"),
    )
