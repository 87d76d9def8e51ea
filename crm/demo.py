"""Synthetic but plausible CRM funnel data for the demo company (Voltaria Energie AG), deterministic.

Two years of leads (2024-12-01 .. 2026-11-20) across six channels and four segments, with lifecycle progression,
opportunities of 20k–400k EUR and 2–6 touchpoints per lead. The case's story is built in: after the OKR workshop on
2026-01-20 marketing focused on Stadtwerke and Industrie, and the qualified leads (MQL) from these focus segments
in the nine months after the workshop are 18 % above the nine months before.

The focus segments are the demo's reporting settings (reporting.demo). Idempotent: a company that already
has leads is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from companies.demo import DEMO_SLUG
from companies.models import Company

from .models import Lead, Opportunity, Touchpoint
from .sources import DEFAULT_SALES_SOURCES

SEED = 20260120
FIRST_DAY = dt.date(2024, 12, 1)
LAST_DAY = dt.date(2026, 11, 20)
WORKSHOP = dt.date(2026, 1, 20)
BEFORE = (dt.date(2025, 4, 20), WORKSHOP)  # nine months before the workshop, end exclusive
AFTER = (WORKSHOP, dt.date(2026, 10, 20))  # nine months after
STORY_GROWTH = Decimal("1.18")

CHANNELS = ["Messen", "Webinare", "SEO", "Paid Social", "Partner", "Direkt"]
CHANNEL_WEIGHTS = [15, 20, 25, 20, 10, 10]
SEGMENTS = ["Stadtwerke", "Industrie", "Netzbetreiber", "Wohnungswirtschaft"]
FOCUS_SEGMENTS = ["Stadtwerke", "Industrie"]
CAMPAIGNS = {
    "Webinare": ["Webinar Netzstabilität", "Webinar Wärmewende", "Webinar Batteriespeicher"],
    "SEO": ["Ratgeber Energiewende", "Blog Lastmanagement", "Whitepaper Speicher"],
    "Paid Social": ["LinkedIn ABM Stadtwerke", "LinkedIn Industrie 4.0", "LinkedIn Retargeting"],
    "Partner": ["Partnerprogramm Stadtwerke", "Partnerprogramm Installateure"],
    "Direkt": [""],
}
FAIRS = {2: "E-world", 3: "E-world", 6: "Intersolar", 9: "Smart Country Convention", 10: "Smart Country Convention"}
DEMO_LEAD_COUNT = 6000


def _fair(day: dt.date) -> str:
    return f"{FAIRS.get(day.month, 'Fachmesse')} {day.year}"


def _campaign(rng: random.Random, channel: str, day: dt.date) -> str:
    if channel == "Messen":
        return _fair(day)
    return rng.choice(CAMPAIGNS[channel])


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])), tzinfo=tz)


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


def _daily_weights() -> list[tuple[dt.date, float]]:
    days = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weight = 1.0
        if day.weekday() >= 5:
            weight = 0.15
        if day.month in (7, 8, 12):
            weight *= 0.75  # summer and Christmas
        if day.month in (2, 6):
            weight *= 1.3  # E-world, Intersolar
        if day >= WORKSHOP:
            weight *= 1.06  # more focused marketing after the workshop
        days.append((day, weight))
        day += dt.timedelta(days=1)
    return days


def _build_leads(rng: random.Random) -> list[Lead]:
    days = _daily_weights()
    dates = rng.choices([d for d, _w in days], weights=[w for _d, w in days], k=DEMO_LEAD_COUNT)
    dates.sort()
    now_day = LAST_DAY
    sales = {s.casefold() for s in DEFAULT_SALES_SOURCES}
    leads = []
    for index, day in enumerate(dates, start=1):
        after = day >= WORKSHOP
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        segment_weights = [34, 32, 18, 16] if after else [28, 27, 23, 22]
        segment = rng.choices(SEGMENTS, weights=segment_weights)[0]
        created = _moment(rng, day)
        lead = Lead(
            external_id=f"VOL-L-{index:05d}",
            created=created,
            channel=channel,
            campaign=_campaign(rng, channel, day),
            segment=segment,
            is_marketing_sourced=channel.casefold() not in sales,
        )
        focus = segment in FOCUS_SEGMENTS
        mql_rate = {"Messen": 0.42, "Webinare": 0.4, "SEO": 0.26, "Paid Social": 0.3, "Partner": 0.45, "Direkt": 0.5}
        rate = mql_rate[channel] + (0.05 if focus and after else 0)
        stage_day = day
        stages = [("mql_at", rate, (1, 20)), ("sal_at", 0.62, (1, 10)), ("sql_at", 0.66, (3, 21)),
                  ("opportunity_at", 0.55, (1, 12))]  # fmt: skip
        reached_all = True
        for field, probability, (low, high) in stages:
            if rng.random() >= probability:
                reached_all = False
                break
            stage_day = stage_day + dt.timedelta(days=rng.randint(low, high))
            if stage_day > now_day:
                reached_all = False
                break
            setattr(lead, field, _moment(rng, stage_day))
        if not lead.mql_at and rng.random() < 0.35:
            disqualified = day + dt.timedelta(days=rng.randint(3, 40))
            if disqualified <= now_day:
                lead.disqualified_at = _moment(rng, disqualified)
        lead._demo_opportunity = reached_all  # a build-time marker, not a field
        leads.append(lead)
    return leads


def _tell_the_story(rng: random.Random, leads: list[Lead]) -> None:
    """Make focus-segment MQLs in the nine months after the workshop exactly 18 % above the nine months before."""

    def window(lead: Lead, bounds) -> bool:
        day = _local_day(lead.mql_at)
        return day is not None and bounds[0] <= day < bounds[1]

    focus = [lead for lead in leads if lead.segment in FOCUS_SEGMENTS]
    before = sum(1 for lead in focus if window(lead, BEFORE))
    after = [lead for lead in focus if window(lead, AFTER)]
    target = int((Decimal(before) * STORY_GROWTH).to_integral_value())
    if len(after) > target:
        removable = [lead for lead in after if lead.sal_at is None]
        rng.shuffle(removable)
        for lead in removable[: len(after) - target]:
            lead.mql_at = None
    elif len(after) < target:
        addable = [
            lead
            for lead in focus
            if lead.mql_at is None
            and lead.disqualified_at is None
            and AFTER[0] <= _local_day(lead.created) < AFTER[1] - dt.timedelta(days=5)
        ]
        rng.shuffle(addable)
        for lead in addable[: target - len(after)]:
            lead.mql_at = lead.created + dt.timedelta(days=3)


# The handover (issue 18): sales reps own the MQLs; most are accepted or rejected within a working day, some take
# days (SLA breaches); rejected leads carry the reasons sales gave and most go back to nurturing (recycled); a few of
# the last month's MQLs and SALs are still waiting (open breaches). A separate random stream, so the funnel above
# stays exactly as before.
HANDOVER_SEED = SEED + 18
OWNERS = ["Thomas Wagner", "Sabine Krüger", "Michael Wolf", "Katrin Schmitz", "Stefan Meyer"]
OWNER_WEIGHTS = [25, 25, 20, 20, 10]
SLOW_OWNER = "Stefan Meyer"  # answers late more often: the breaches page has a name to discuss
REJECTION_REASONS = [
    ("Kein Budget", 30),
    ("Kein Bedarf / zu früh", 25),
    ("Falscher Ansprechpartner", 18),
    ("Unternehmen zu klein", 14),
    ("Kunde eines Wettbewerbers", 9),
    ("", 4),
]


def _before(moment: dt.datetime, *limits: dt.datetime | None) -> dt.datetime:
    """``moment``, moved to an hour before the earliest of ``limits`` that it would pass (stages stay in order)."""
    for limit in limits:
        if limit is not None and moment >= limit:
            moment = limit - dt.timedelta(hours=1)
    return moment


def _add_handover(leads: list[Lead]) -> None:
    rng = random.Random(HANDOVER_SEED)
    recent = dt.datetime.combine(LAST_DAY - dt.timedelta(days=30), dt.time.min, tzinfo=timezone.get_default_timezone())
    reasons, weights = zip(*REJECTION_REASONS, strict=True)
    for lead in leads:
        if lead.mql_at is None:
            continue
        lead.owner = rng.choices(OWNERS, weights=OWNER_WEIGHTS)[0]
        slow = 0.35 if lead.owner == SLOW_OWNER else 0.1
        waiting = lead.mql_at >= recent and rng.random() < 0.12
        if lead.sal_at is not None:
            hours = rng.randint(48, 120) if rng.random() < slow else rng.randint(1, 20)
            lead.sal_at = max(lead.mql_at, _before(lead.mql_at + dt.timedelta(hours=hours), lead.sql_at,
                                                   lead.opportunity_at, lead.customer_at))  # fmt: skip
            if waiting and lead.sql_at is None:
                continue
            hours = rng.randint(72, 200) if rng.random() < slow else rng.randint(1, 40)
            lead.first_contact_at = max(lead.sal_at, _before(lead.sal_at + dt.timedelta(hours=hours), lead.sql_at,
                                                             lead.opportunity_at, lead.customer_at))  # fmt: skip
        elif lead.disqualified_at is None and not waiting:
            hours = rng.randint(50, 140) if rng.random() < slow else rng.randint(1, 22)
            lead.rejected_at = lead.mql_at + dt.timedelta(hours=hours)
            lead.rejection_reason = rng.choices(reasons, weights=weights)[0]
            if rng.random() < 0.6:
                lead.recycled_at = lead.rejected_at + dt.timedelta(days=rng.randint(1, 5))


def _amount(rng: random.Random, segment: str) -> Decimal:
    low, high = (60_000, 400_000) if segment == "Industrie" else (20_000, 280_000)
    value = low * (high / low) ** rng.random()
    return Decimal(int(value / 500) * 500)


def _build_opportunities(rng: random.Random, leads: list[Lead]) -> list[Opportunity]:
    now = _moment(rng, LAST_DAY).replace(hour=18, minute=0)
    opportunities = []
    for lead in leads:
        if not getattr(lead, "_demo_opportunity", False):
            continue
        created = lead.opportunity_at
        win_rate = 0.34 if lead.segment in FOCUS_SEGMENTS else 0.26
        close = created + dt.timedelta(days=rng.randint(30, 150), hours=rng.randint(0, 6))
        opportunity = Opportunity(
            external_id=f"VOL-O-{lead.external_id[-5:]}",
            lead=lead,
            created=created,
            amount=_amount(rng, lead.segment),
            lead_source=lead.channel,
            is_marketing_sourced=lead.is_marketing_sourced,
        )
        outcome = rng.random()
        if close > now or outcome > 0.85:
            opportunity.status = Opportunity.Status.OPEN
            opportunity.stage = rng.choice(["Qualifizierung", "Angebot", "Verhandlung"])
        elif outcome < win_rate:
            opportunity.status = Opportunity.Status.WON
            opportunity.stage = "Gewonnen"
            opportunity.closed = close
            lead.customer_at = close
        else:
            opportunity.status = Opportunity.Status.LOST
            opportunity.stage = "Verloren"
            opportunity.closed = close
        opportunities.append(opportunity)
    return opportunities


def _build_touchpoints(rng: random.Random, leads: list[Lead]) -> list[Touchpoint]:
    latest = _moment(rng, LAST_DAY).replace(hour=8, minute=0)
    touchpoints = []
    for lead in leads:
        count = rng.randint(2, 6)
        # one touch at lead creation (the lead's own channel), the rest before and after it
        moments = [(lead.created, lead.channel, lead.campaign)]
        horizon = lead.opportunity_at or (lead.created + dt.timedelta(days=60))
        for _i in range(count - 1):
            channel = lead.channel if rng.random() < 0.3 else rng.choices(CHANNELS[:4], weights=[15, 25, 35, 25])[0]
            if rng.random() < 0.5:
                moment = lead.created - dt.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
            else:
                span = max(1, int((horizon - lead.created).total_seconds() // 3600))
                moment = lead.created + dt.timedelta(hours=rng.randint(1, span))
            moment = min(moment, latest)
            moments.append((moment, channel, _campaign(rng, channel, timezone.localtime(moment).date())))
        for number, (moment, channel, campaign) in enumerate(sorted(moments, key=lambda m: m[0]), start=1):
            touchpoints.append(
                Touchpoint(
                    external_id=f"VOL-T-{lead.external_id[-5:]}-{number}",
                    lead=lead,
                    occurred=moment,
                    channel=channel,
                    campaign=campaign,
                )
            )
    return touchpoints


def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None or Lead.objects.filter(company=company).exists():
        return
    rng = random.Random(SEED)
    leads = _build_leads(rng)
    _tell_the_story(rng, leads)
    opportunities = _build_opportunities(rng, leads)
    _add_handover(leads)
    for lead in leads:
        lead.company = company
    Lead.objects.bulk_create(leads, batch_size=2000)
    touchpoints = _build_touchpoints(rng, leads)
    for opportunity in opportunities:
        opportunity.company = company
        opportunity.lead_id = opportunity.lead.pk
    for touchpoint in touchpoints:
        touchpoint.company = company
        touchpoint.lead_id = touchpoint.lead.pk
    Opportunity.objects.bulk_create(opportunities, batch_size=2000)
    Touchpoint.objects.bulk_create(touchpoints, batch_size=5000)
