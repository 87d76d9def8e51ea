"""A large, realistic, deterministic company for the benchmarks (issue 7): ``manage.py generate_scale``.

CRM funnel rows (leads, opportunities, touchpoints) are streamed into PostgreSQL with ``COPY ... FROM STDIN`` through
psycopg 3 (hundreds of thousands of rows per second); on other databases they go in with batched ``bulk_create``.
Planning rows (cycles, objectives with 4 key results each, initiatives, budget lines and spend) are comparatively
few and go through the ORM with ``bulk_create`` so every model default and constraint applies.

Deterministic: the same seed, sizes and anchor day give the same rows (the same external ids, times, amounts,
titles); only the database ids depend on what the tables held before. Ids of the CRM rows are allocated up front
(the identity sequence is moved past the block), so opportunities and touchpoints can point at their leads without
reading them back. This assumes nothing else inserts CRM rows into the same database while it runs (a bench
database).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from budgets.models import BudgetLine, Channel, SpendEntry
from companies.models import Company, Membership, Team
from companies.permissions import Role
from crm.models import Lead, Opportunity, Touchpoint
from crm.sources import DEFAULT_SALES_SOURCES
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult, Objective
from reporting.models import ReportingSettings

CHANNELS = ["Messen", "Webinare", "SEO", "Paid Social", "E-Mail", "Partner", "Direkt", "Outbound"]
CHANNEL_WEIGHTS = [12, 18, 24, 18, 10, 8, 6, 4]
SEGMENTS = ["Stadtwerke", "Industrie", "Netzbetreiber", "Wohnungswirtschaft", "Handel", "Öffentliche Hand"]
FOCUS_SEGMENTS = ["Stadtwerke", "Industrie"]
CAMPAIGNS = [f"Kampagne {n:02d}" for n in range(1, 41)]
STAGES = ["Appointment", "Qualified", "Proposal", "Negotiation"]
TEAMS = [("Unternehmen", "company"), ("Marketing", "marketing"), ("Vertrieb", "sales")]
MEMBER_ROLES = [Role.FACILITATOR, Role.CMO, Role.EXECUTIVE, Role.MEMBER]
BENCH_PASSWORD = "bench-password-okrplan"
HISTORY_DAYS = 730
DAY = 86400


@dataclass(frozen=True)
class ScaleSpec:
    company: str
    leads: int = 0
    opportunities: int = 0
    touchpoints: int = 0
    objectives: int = 0
    initiatives: int = 0
    budget_lines: int = 0
    seed: int = 1
    until: dt.date | None = None  # the last day of generated history (default: today)
    key_results_per_objective: int = 4


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


# ----------------------------------------------------------------------------------------------- company + people


def ensure_company(slug: str) -> Company:
    """The company ``slug`` with one member per role (``<slug>-facilitator`` ... , password BENCH_PASSWORD)."""
    company, _created = Company.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title()[:200]}
    )
    ReportingSettings.objects.get_or_create(
        company=company, defaults={"focus_segments": FOCUS_SEGMENTS, "sales_sources": DEFAULT_SALES_SOURCES}
    )
    users = get_user_model()
    for role in MEMBER_ROLES:
        username = f"{slug}-{role}"[:150]
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(
                username=username, email=f"{username}@example.com", password=BENCH_PASSWORD
            )
        Membership.objects.get_or_create(user=user, company=company, defaults={"role": role})
    return company


def member(company: Company, role: str):
    return get_user_model().objects.get(username=f"{company.slug}-{role}"[:150])


def ensure_cycles(company: Company, until: dt.date) -> tuple[Cycle, Cycle]:
    """Last year (closed) and this year (active) with its four quarters; returns (previous, current)."""
    year = until.year
    previous, _ = Cycle.objects.get_or_create(
        company=company,
        name=f"{year - 1}",
        defaults={
            "kind": Cycle.Kind.YEAR,
            "start_date": dt.date(year - 1, 1, 1),
            "end_date": dt.date(year - 1, 12, 31),
            "state": Cycle.State.CLOSED,
            "closed_at": timezone.now(),
        },
    )
    current, _ = Cycle.objects.get_or_create(
        company=company,
        name=f"{year}",
        defaults={
            "kind": Cycle.Kind.YEAR,
            "start_date": dt.date(year, 1, 1),
            "end_date": dt.date(year, 12, 31),
            "state": Cycle.State.ACTIVE,
        },
    )
    for quarter in range(4):
        start = dt.date(year, 3 * quarter + 1, 1)
        end = (dt.date(year, 3 * quarter + 4, 1) if quarter < 3 else dt.date(year + 1, 1, 1)) - dt.timedelta(days=1)
        Cycle.objects.get_or_create(
            company=company,
            name=f"Q{quarter + 1} {year}",
            defaults={
                "kind": Cycle.Kind.QUARTER,
                "start_date": start,
                "end_date": end,
                "parent": current,
                "state": Cycle.State.ACTIVE if start <= until <= end else Cycle.State.PLANNING,
            },
        )
    return previous, current


# -------------------------------------------------------------------------------------------------- CRM rows


def _ts(seconds: float) -> str:
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).isoformat()


class _Funnel:
    """Lead facts opportunities and touchpoints need: creation time and channel index, by lead number."""

    def __init__(self, n: int):
        self.created = array("d", bytes(8 * n))
        self.channel = bytearray(n)


def _lead_rows(spec: ScaleSpec, funnel: _Funnel, end: float) -> Iterator[tuple]:
    rng = random.Random(f"{spec.seed}-leads")
    start = end - HISTORY_DAYS * DAY
    span = end - start
    sales = {s.casefold() for s in DEFAULT_SALES_SOURCES}
    channel_pick = rng.choices
    for i in range(spec.leads):
        created = start + rng.random() * span
        c = channel_pick(range(len(CHANNELS)), CHANNEL_WEIGHTS)[0]
        channel = CHANNELS[c]
        funnel.created[i] = created
        funnel.channel[i] = c
        segment = SEGMENTS[int(rng.random() * len(SEGMENTS))]
        stamps: list[str | None] = [None, None, None, None, None, None]
        stage = "lead"
        t = created
        r = rng.random()
        # Stage probabilities of a B2B funnel: 35 % MQL, 60 % of those SAL, 60 % SQL, 50 % opportunity, 30 % won.
        thresholds = (0.35, 0.21, 0.126, 0.063, 0.019)
        for k, (name, limit) in enumerate(
            zip(("mql", "sal", "sql", "opportunity", "customer"), thresholds, strict=True)
        ):
            if r >= limit:
                break
            t += DAY * (1 + rng.random() * 20)
            if t > end:
                break
            stamps[k] = _ts(t)
            stage = name
        if stamps[0] is None and rng.random() < 0.2:
            d = created + DAY * rng.random() * 30
            if d <= end:
                stamps[5] = _ts(d)
                stage = "disqualified"
        campaign = CAMPAIGNS[int(rng.random() * len(CAMPAIGNS))] if channel not in ("Direkt", "Outbound") else ""
        yield (
            f"L{spec.seed}-{i:08d}",
            _ts(created),
            channel,
            campaign,
            segment,
            channel.casefold() not in sales,
            stage,
            *stamps,
            "",
        )


LEAD_COLUMNS = [
    "external_id",
    "created",
    "channel",
    "campaign",
    "segment",
    "is_marketing_sourced",
    "lifecycle_stage",
    "mql_at",
    "sal_at",
    "sql_at",
    "opportunity_at",
    "customer_at",
    "disqualified_at",
    "crm_opportunity_id",
]
OPPORTUNITY_COLUMNS = [
    "external_id",
    "lead_id",
    "created",
    "closed",
    "amount",
    "stage",
    "status",
    "lead_source",
    "is_marketing_sourced",
]
TOUCHPOINT_COLUMNS = ["external_id", "lead_id", "occurred", "channel", "campaign"]
DATETIME_COLUMNS = {"created", "closed", "occurred", "mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at",
                    "disqualified_at"}  # fmt: skip


def _opportunity_rows(spec: ScaleSpec, funnel: _Funnel, first_lead_id: int, end: float) -> Iterator[tuple]:
    rng = random.Random(f"{spec.seed}-opportunities")
    sales = {s.casefold() for s in DEFAULT_SALES_SOURCES}
    for i in range(spec.opportunities):
        lead = int(rng.random() * spec.leads)
        created = min(end, funnel.created[lead] + DAY * (5 + rng.random() * 60))
        amount = Decimal(int(5_000 + rng.random() * 395_000)).quantize(Decimal("0.01"))
        closed = None
        status = "open"
        stage = STAGES[int(rng.random() * len(STAGES))]
        if created < end - 30 * DAY and rng.random() < 0.7:
            closed_at = min(end, created + DAY * (14 + rng.random() * 150))
            closed = _ts(closed_at)
            status = "won" if rng.random() < 0.3 else "lost"
            stage = "Closed Won" if status == "won" else "Closed Lost"
        channel = CHANNELS[funnel.channel[lead]]
        yield (
            f"O{spec.seed}-{i:08d}",
            first_lead_id + lead,
            _ts(created),
            closed,
            amount,
            stage,
            status,
            channel,
            channel.casefold() not in sales,
        )


def _touchpoint_rows(spec: ScaleSpec, funnel: _Funnel, first_lead_id: int) -> Iterator[tuple]:
    rng = random.Random(f"{spec.seed}-touchpoints")
    for i in range(spec.touchpoints):
        lead = int(rng.random() * spec.leads)
        # The first touch is the lead's own channel; earlier and later touches come from any channel.
        c = funnel.channel[lead] if rng.random() < 0.4 else int(rng.random() * len(CHANNELS))
        occurred = funnel.created[lead] + DAY * (rng.random() * 60 - 30)
        yield (
            f"T{spec.seed}-{i:08d}",
            first_lead_id + lead,
            _ts(occurred),
            CHANNELS[c],
            CAMPAIGNS[int(rng.random() * len(CAMPAIGNS))],
        )


def _reserve_ids(model, n: int) -> int:
    """First id of a block of ``n`` ids reserved for ``model`` (the identity sequence moves past the block)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first = cursor.fetchone()[0] + 1
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + max(n, 1) - 1])
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first = cursor.fetchone()[0] + 1
    return first


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def _write_rows(
    model, columns: list[str], rows: Iterator[tuple], *, company: Company, first_id: int, total: int, progress, label
) -> int:
    """Stream ``rows`` (without id and company) into ``model``'s table; returns the number written."""
    every = max(total // 10, 1)
    written = 0
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        names = ", ".join(["id", "company_id", *columns])
        prefix = f"\t{company.pk}\t"
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write(str(first_id + written))
                buffer.write(prefix)
                buffer.write("\t".join([_copy_text(v) for v in row]))
                buffer.write("\n")
                written += 1
                if written % 20000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
                if written % every == 0:
                    _say(progress, f"  {label}: {written:,} / {total:,}")
            copy.write(buffer.getvalue())
        return written
    batch = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        for name, value in values.items():
            if value is not None and name in DATETIME_COLUMNS:
                values[name] = dt.datetime.fromisoformat(value)
        batch.append(model(id=first_id + written, company=company, **values))
        written += 1
        if len(batch) >= 2000:
            model.objects.bulk_create(batch)
            batch = []
        if written % every == 0:
            _say(progress, f"  {label}: {written:,} / {total:,}")
    model.objects.bulk_create(batch)
    return written


def generate_crm(spec: ScaleSpec, company: Company, *, end: float, progress=None) -> dict[str, int]:
    funnel = _Funnel(spec.leads)
    first_lead = _reserve_ids(Lead, spec.leads)
    counts = {
        "leads": _write_rows(
            Lead,
            LEAD_COLUMNS,
            _lead_rows(spec, funnel, end),
            company=company,
            first_id=first_lead,
            total=spec.leads,
            progress=progress,
            label="leads",
        )
    }
    if spec.leads:
        first = _reserve_ids(Opportunity, spec.opportunities)
        counts["opportunities"] = _write_rows(
            Opportunity,
            OPPORTUNITY_COLUMNS,
            _opportunity_rows(spec, funnel, first_lead, end),
            company=company,
            first_id=first,
            total=spec.opportunities,
            progress=progress,
            label="opportunities",
        )
        first = _reserve_ids(Touchpoint, spec.touchpoints)
        counts["touchpoints"] = _write_rows(
            Touchpoint,
            TOUCHPOINT_COLUMNS,
            _touchpoint_rows(spec, funnel, first_lead),
            company=company,
            first_id=first,
            total=spec.touchpoints,
            progress=progress,
            label="touchpoints",
        )
    return counts


# ------------------------------------------------------------------------------------------------ planning rows


def generate_objectives(
    company: Company, cycle: Cycle, n: int, *, seed: int, key_results_per_objective: int = 4
) -> tuple[int, int]:
    """``n`` objectives in ``cycle`` as a three-level cascade (company → marketing/sales → team), each with
    ``key_results_per_objective`` key results of every kind. Returns (objectives, key results) created."""
    rng = random.Random(f"{seed}-objectives-{cycle.name}")
    owners = list(Membership.objects.filter(company=company).values_list("user_id", flat=True).order_by("user_id"))
    top = max(1, n // 25)
    middle = max(0, min(n - top, n // 5))
    bottom = n - top - middle
    teams = [Team.objects.get_or_create(company=company, name=name, defaults={"kind": kind})[0] for name, kind in TEAMS]
    levels = [(top, teams[0]), (middle, None), (bottom, None)]
    created: list[Objective] = []
    parents: list[Objective] = []
    number = 0
    for size, team in levels:
        batch = []
        for k in range(size):
            number += 1
            parent = parents[k % len(parents)] if parents else None
            batch.append(
                Objective(
                    company=company,
                    cycle=cycle,
                    title=f"Ziel {number}: {rng.choice(SEGMENTS)} {rng.choice(CHANNELS)}",
                    owner_id=owners[number % len(owners)] if owners else None,
                    team=team or teams[1 + number % 2],
                    parent=parent,
                    state=Objective.State.COMMITTED,
                    position=k // max(len(parents), 1),
                )
            )
        if batch:
            Objective.objects.bulk_create(batch, batch_size=2000)
            created += batch
            parents = batch
    krs = []
    kinds = [
        KeyResult.Kind.INCREASE_TO,
        KeyResult.Kind.DECREASE_TO,
        KeyResult.Kind.STAY_ABOVE,
        KeyResult.Kind.MILESTONE,
    ]
    for objective in created:
        for position in range(key_results_per_objective):
            kind = kinds[position % len(kinds)]
            start, target = Decimal(rng.randint(0, 50)), Decimal(rng.randint(60, 200))
            current = start + (target - start) * Decimal(str(round(rng.random(), 2)))
            if kind == KeyResult.Kind.DECREASE_TO:
                start, target = target, start
                current = start - (start - current)
            if kind == KeyResult.Kind.MILESTONE:
                start, target, current = Decimal(0), Decimal(1), Decimal(rng.randint(0, 1))
            krs.append(
                KeyResult(
                    company=company,
                    objective=objective,
                    title=f"KR {objective.title[:200]} #{position + 1}",
                    kind=kind,
                    start_value=start,
                    target_value=target,
                    current_value=current,
                    owner_id=objective.owner_id,
                    confidence=Decimal("0.60"),
                    position=position,
                )
            )
    KeyResult.objects.bulk_create(krs, batch_size=2000)
    return len(created), len(krs)


def generate_initiatives(company: Company, cycles: list[Cycle], n: int, *, seed: int) -> int:
    rng = random.Random(f"{seed}-initiatives")
    states = ["proposed", "active", "paused", "done", "dropped"]
    owners = list(Membership.objects.filter(company=company).values_list("user_id", flat=True).order_by("user_id"))
    rows = [
        Initiative(
            company=company,
            cycle=cycles[i % len(cycles)],
            title=f"Initiative {i + 1}: {rng.choice(CHANNELS)} für {rng.choice(SEGMENTS)}",
            owner_id=owners[i % len(owners)] if owners else None,
            state=states[int(rng.random() * len(states))],
            estimated_cost=Decimal(rng.randint(1, 200) * 1000),
            effort_days=Decimal(rng.randint(1, 120)),
        )
        for i in range(n)
    ]
    Initiative.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def generate_budget(company: Company, cycle: Cycle, n: int, *, seed: int, until: dt.date) -> tuple[int, int]:
    """``n`` budget lines of ``cycle`` (about half approved and bound to a key result) and monthly spend on the
    approved ones up to ``until``. Returns (lines, spend entries)."""
    rng = random.Random(f"{seed}-budget")
    channels = []
    for position, name in enumerate(CHANNELS):
        channel, _ = Channel.objects.get_or_create(company=company, name=name, defaults={"position": position})
        channels.append(channel)
    requester = member(company, Role.MEMBER)
    approver = member(company, Role.CMO)
    krs = list(KeyResult.objects.filter(company=company, objective__cycle=cycle).values_list("pk", flat=True)[:5000])
    now = timezone.now()
    lines = []
    for i in range(n):
        approved = bool(krs) and rng.random() < 0.5
        state = "approved" if approved else rng.choice(["draft", "submitted", "rejected"])
        bound = approved or (bool(krs) and rng.random() < 0.3)
        lines.append(
            BudgetLine(
                company=company,
                cycle=cycle,
                title=f"Budget {i + 1}",
                channel=channels[i % len(channels)],
                key_result_id=krs[i % len(krs)] if bound else None,
                planned_amount=Decimal(rng.randint(1, 100) * 1000),
                state=state,
                requester=requester,
                last_changed_by=requester,
                approver=approver if approved else None,
                approved_at=now if approved else None,
            )
        )
    BudgetLine.objects.bulk_create(lines, batch_size=2000)
    spend = []
    months = [dt.date(cycle.start_date.year, m, 15) for m in range(1, 13)]
    for line in lines:
        if line.state != "approved":
            continue
        for day in months:
            if day <= until:
                spend.append(
                    SpendEntry(
                        company=company,
                        line=line,
                        date=day,
                        amount=(line.planned_amount / 12).quantize(Decimal("0.01")),
                        reference=f"R-{line.pk}-{day:%m}",
                    )
                )
    SpendEntry.objects.bulk_create(spend, batch_size=5000)
    return len(lines), len(spend)


# ------------------------------------------------------------------------------------------------------- entry


def generate_scale(spec: ScaleSpec, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create (or extend) the company of ``spec`` with the given amounts of data; returns the counts written."""
    until = spec.until or timezone.localdate()
    end = dt.datetime.combine(until, dt.time(18, 0), tzinfo=dt.UTC).timestamp()
    with transaction.atomic():
        company = ensure_company(spec.company)
        previous, current = ensure_cycles(company, until)
        _say(progress, f"company {company.slug} (id {company.pk}), cycles {previous.name} and {current.name}")
        counts = generate_crm(spec, company, end=end, progress=progress)
        objectives, key_results = generate_objectives(
            company, current, spec.objectives, seed=spec.seed, key_results_per_objective=spec.key_results_per_objective
        )
        counts.update(objectives=objectives, key_results=key_results)
        _say(progress, f"  objectives: {objectives:,}, key results: {key_results:,}")
        counts["initiatives"] = generate_initiatives(company, [previous, current], spec.initiatives, seed=spec.seed)
        _say(progress, f"  initiatives: {counts['initiatives']:,}")
        counts["budget_lines"], counts["spend_entries"] = generate_budget(
            company, current, spec.budget_lines, seed=spec.seed, until=until
        )
        _say(progress, f"  budget lines: {counts['budget_lines']:,}, spend entries: {counts['spend_entries']:,}")
    analyze()
    return counts


def analyze() -> None:
    """Fresh planner statistics for every table (PostgreSQL). Without them the planner guesses: on a server with
    autovacuum off (these machines) a 2,000-row key result table still counted as empty and the board's progress
    query took a nested loop over a million row pairs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
