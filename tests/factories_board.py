"""Factories for the board: KPI snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from reporting.models_snapshots import KpiSnapshot

from .factories import CompanyFactory


class KpiSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiSnapshot

    company = factory.SubFactory(CompanyFactory)
    kpi = "fake_leads"
    period_kind = "month"
    period_start = dt.date(2026, 11, 1)
    period_end = dt.date(2026, 11, 30)
    period_key = factory.LazyAttribute(lambda s: s.period_start.strftime("%Y-%m"))
    period_label = factory.LazyAttribute(lambda s: s.period_start.strftime("%b %Y"))
    value = Decimal("100")
    target = None
    unit = "number"
    breakdown = factory.LazyFunction(dict)
    computed_at = factory.LazyFunction(timezone.now)


def board_scenario(company, *, today: dt.date, size: int = 1, approver=None, requester=None) -> dict:
    """Everything the board shows for the current month, ``size`` times over: an active year cycle with a company
    objective and two contributing marketing objectives (key results with progress), approved and unbound budget
    lines with spend per channel, leads through the funnel with touchpoints and opportunities in two focus
    segments. Deterministic."""
    from django.utils import timezone as tz

    from budgets.models import BudgetLine, Channel, SpendEntry
    from companies.permissions import Role
    from objectives.models import Cycle
    from reporting.models import ReportingSettings

    from .factories import CycleFactory, KeyResultFactory, MembershipFactory, ObjectiveFactory, UserFactory
    from .factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory

    zone = tz.get_default_timezone()
    month_start = today.replace(day=1)

    def at(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)

    cycle = Cycle.objects.filter(company=company, parent__isnull=True, state=Cycle.State.ACTIVE).first()
    if cycle is None:
        cycle = CycleFactory(
            company=company,
            name=f"FY {today.year}",
            start_date=dt.date(today.year, 1, 1),
            end_date=dt.date(today.year, 12, 31),
            state=Cycle.State.ACTIVE,
        )
    ReportingSettings.objects.update_or_create(company=company, defaults={"focus_segments": ["Energie", "Industrie"]})
    requester = requester or UserFactory()
    approver = approver or UserFactory()
    for user, role in ((requester, Role.CMO), (approver, Role.EXECUTIVE)):
        if not company.memberships.filter(user=user).exists():
            MembershipFactory(user=user, company=company, role=role)
    channels = []
    for n in range(size):
        top = ObjectiveFactory(cycle=cycle, company=company, title=f"Marktführer Energie {n}", team="company")
        kr = KeyResultFactory(objective=top, title=f"Umsatz {n}", current_value=Decimal("60"))
        for m in range(2):
            child = ObjectiveFactory(cycle=cycle, company=company, parent=top, title=f"Pipeline {n}.{m}")
            KeyResultFactory(objective=child, current_value=Decimal(30 + 40 * m))
        channel = Channel.objects.create(company=company, name=f"Messen {n}", position=n)
        channels.append(channel)
        bound = BudgetLine.objects.create(
            company=company, cycle=cycle, title=f"Messe {n}", channel=channel, key_result=kr,
            planned_amount=Decimal("12000.00"), state=BudgetLine.State.APPROVED, requester=requester,
            approver=approver, approved_at=tz.now(),
        )  # fmt: skip
        BudgetLine.objects.create(
            company=company, cycle=cycle, title=f"Anzeigen {n}", channel=channel,
            planned_amount=Decimal("3000.00"), state=BudgetLine.State.SUBMITTED, requester=requester,
        )  # fmt: skip
        SpendEntry.objects.create(company=company, line=bound, date=month_start, amount=Decimal("900.00"))
        for k, segment in enumerate(["Energie", "Industrie", "Energie"]):
            lead = LeadFactory(
                company=company,
                created=at(month_start),
                channel="Webinare",
                segment=segment,
                mql_at=at(month_start, 11),
                sql_at=at(month_start, 12) if k < 2 else None,
            )
            TouchpointFactory(lead=lead, company=company, occurred=at(month_start, 9), channel="SEO")
            TouchpointFactory(lead=lead, company=company, occurred=at(month_start, 10), channel="Webinare")
            if k < 2:
                won = k == 0
                OpportunityFactory(
                    company=company,
                    lead=lead,
                    created=at(month_start, 13),
                    amount=Decimal("20000.00"),
                    status="won" if won else "open",
                    closed=at(month_start, 15) if won else None,
                )
    return {"cycle": cycle, "channels": channels}
