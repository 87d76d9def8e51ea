"""The demo cascade of Voltaria Energie AG: the result of the January 2026 OKR workshop with management, sales and
marketing, plus weekly check-ins since then.

Deterministic (check-in values come from ``random.Random(2026)`` along a fixed pace per key result) and idempotent:
if the demo company has objectives already, nothing happens. The structure goes through the services (so every rule
holds); the weeks of check-in history are bulk-inserted for speed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from companies.demo import DEMO_SLUG
from companies.models import Company

from .models import CheckIn, Cycle, KeyResult, Objective
from .services import cascade as services

CYCLE_NAME = "Geschäftsjahr 2026"
NEXT_CYCLE_NAME = "Geschäftsjahr 2027"
WORKSHOP = dt.date(2026, 1, 22)
FIRST_CHECK_IN = dt.date(2026, 1, 26)  # the Monday after the workshop

# key: (title, parent key, team, owner, [alignments], description)
OBJECTIVES = [
    (
        "C1",
        "Profitabel wachsen in den Fokussegmenten",
        None,
        "Unternehmen",
        "petra.schulz",
        [],
        "Stadtwerke, Netzbetreiber und Industrie mit hohem Energiebedarf sind unsere Fokussegmente.",
    ),
    (
        "C2",
        "Marketing als messbaren Wachstumstreiber etablieren",
        None,
        "Unternehmen",
        "markus.hoffmann",
        [],
        "Jeder Marketing-Euro ist an ein strategisches Key Result gebunden und im Vorstand sichtbar.",
    ),
    (
        "C3",
        "Kundenerlebnis über alle Kontaktpunkte vereinheitlichen",
        None,
        "Unternehmen",
        "thomas.krueger",
        [],
        "",
    ),
    (
        "M1",
        "Qualifizierte Nachfrage in den Fokussegmenten aufbauen",
        "C1",
        "Marketing",
        "anna.fischer",
        ["C2"],
        "",
    ),
    (
        "M2",
        "Marketingbudget konsequent auf strategische Ziele ausrichten",
        "C2",
        "Marketing",
        "markus.hoffmann",
        [],
        "Weniger Initiativen, klar priorisiert nach Beitrag und Aufwand.",
    ),
    (
        "M3",
        "Digitale Kanäle zum wichtigsten Leadlieferanten machen",
        "M1",
        "Marketing",
        "jonas.weber",
        [],
        "",
    ),
    (
        "M4",
        "Messen und Events auf Pipeline-Wirkung ausrichten",
        "M1",
        "Marketing",
        "sophie.klein",
        ["C3"],
        "",
    ),
    (
        "M5",
        "Nutzenargumentation für die Fokussegmente schärfen",
        "C3",
        "Marketing",
        "david.neumann",
        [],
        "",
    ),
    (
        "S1",
        "Vertrieb und Marketing arbeiten mit einer gemeinsamen Pipeline-Definition",
        "C2",
        "Vertrieb",
        "thomas.krueger",
        ["C1"],
        "",
    ),
    (
        "S2",
        "Neukunden in den Fokussegmenten gewinnen",
        "C1",
        "Vertrieb",
        "sabine.wolf",
        [],
        "",
    ),
]

# (objective key, title, kind, unit, start, target, weight, owner, pace, special)
# pace: progress relative to the expected pace (1 = on plan); special: milestone done date or trajectory hints.
KEY_RESULTS = [
    ("C1", "Auftragseingang in den Fokussegmenten von 120 auf 138 Mio. € steigern", "increase_to", "currency",
     "120000000", "138000000", "2", "petra.schulz", "0.95", None),
    ("C1", "EBIT-Marge über 8 % halten", "stay_above", "percent", "0", "8", "1", "petra.schulz", "1", None),
    ("C2", "Marketing-KPIs im Vorstandsreporting verankert", "milestone", "number", "0", "1", "1",
     "markus.hoffmann", "1", dt.date(2026, 6, 15)),
    ("C2", "Marketingbeitrag zur Pipeline von 18 % auf 30 % steigern", "increase_to", "percent", "18", "30", "2",
     "markus.hoffmann", "0.85", None),
    ("C3", "Net Promoter Score über 35 halten", "stay_above", "number", "0", "35", "1", "thomas.krueger", "1",
     "dip"),
    ("C3", "Reaktionszeit auf Kundenanfragen unter 24 Stunden", "stay_below", "number", "0", "24", "1",
     "sabine.wolf", "1", None),
    ("M1", "Qualifizierte Leads aus den Fokussegmenten +18 % innerhalb von neun Monaten", "increase_to", "percent",
     "0", "18", "3", "anna.fischer", "1.12", None),
    ("M1", "Kosten je qualifiziertem Lead von 420 € auf 340 € senken", "decrease_to", "currency", "420", "340", "1",
     "laura.zimmermann", "0.7", None),
    ("M2", "100 % des Marketingbudgets an strategische Key Results gebunden", "increase_to", "percent",
     "35", "100", "2", "clara.vogel", "1.05", None),
    ("M2", "Aktive Marketinginitiativen −40 %", "decrease_to", "number", "14", "8", "1", "markus.hoffmann", "1.2",
     None),
    ("M3", "Anteil digital generierter Leads von 25 % auf 45 % steigern", "increase_to", "percent", "25", "45", "2",
     "jonas.weber", "0.9", None),
    ("M3", "Conversion-Rate der Landingpages von 2,1 % auf 3,5 % steigern", "increase_to", "percent", "2.1", "3.5",
     "1", "niklas.hartmann", "0.3", None),
    ("M3", "Webinarreihe für Netzbetreiber mit 600 Anmeldungen", "increase_to", "number", "0", "600", "1",
     "mia.koch", "1.1", None),
    ("M4", "Pipeline je Messe-Euro von 3,0 auf 4,5 € steigern", "increase_to", "currency", "3", "4.5", "2",
     "sophie.klein", "0.7", "stale"),
    ("M4", "Anteil nachverfolgter Messekontakte von 40 % auf 90 % steigern", "increase_to", "percent", "40", "90",
     "1", "lukas.schaefer", "1.15", None),
    ("M5", "Value-Proposition-Kits für alle vier Fokussegmente veröffentlicht", "increase_to", "number", "0", "4",
     "1", "julia.schneider", "1", None),
    ("M5", "Win-Rate in den Fokussegmenten von 22 % auf 28 % steigern", "increase_to", "percent", "22", "28", "2",
     "felix.braun", "0.65", None),
    ("S1", "Gemeinsame Lead-Definition (MQL/SQL) verabschiedet", "milestone", "number", "0", "1", "1",
     "sabine.wolf", "1", dt.date(2026, 3, 9)),
    ("S1", "Annahmequote marketinggenerierter Leads durch den Vertrieb über 70 %", "stay_above", "percent", "0",
     "70", "1", "sabine.wolf", "1", None),
    ("S2", "Neukunden in den Fokussegmenten von 0 auf 25 steigern", "increase_to", "number", "0", "25", "2",
     "thomas.krueger", "0.9", None),
    ("S2", "Durchschnittliche Angebotsdauer von 21 auf 14 Tage senken", "decrease_to", "number", "21", "14", "1",
     "sabine.wolf", "1", None),
]  # fmt: skip

COMMENTS = [
    "",
    "",
    "Kampagne läuft, erste Effekte sichtbar.",
    "",
    "Abstimmung mit dem Vertrieb steht noch aus.",
    "",
    "Zahlen aus dem CRM übernommen.",
    "",
    "Budget umgeschichtet, Wirkung ab nächstem Monat.",
    "",
]


def _mondays(until: dt.date) -> list[dt.date]:
    days, current = [], FIRST_CHECK_IN
    while current <= until:
        days.append(current)
        current += dt.timedelta(days=7)
    return days


def _share(cycle: Cycle, day: dt.date) -> Decimal:
    total = (cycle.end_date - cycle.start_date).days
    return Decimal((day - cycle.start_date).days) / Decimal(total)


def _value(kr: KeyResult, pace: Decimal, special, share: Decimal, day: dt.date, rng: random.Random) -> Decimal:
    noise = Decimal(str(round(rng.uniform(-0.03, 0.03), 4)))
    if kr.kind == KeyResult.Kind.MILESTONE:
        return Decimal("1") if special and day >= special else Decimal("0")
    if kr.kind in (KeyResult.Kind.STAY_ABOVE, KeyResult.Kind.STAY_BELOW):
        margin = kr.target_value * Decimal("0.12")
        direction = 1 if kr.kind == KeyResult.Kind.STAY_ABOVE else -1
        dip = special == "dip" and dt.date(2026, 5, 1) <= day <= dt.date(2026, 6, 30)
        offset = -margin * Decimal("0.5") if dip else margin * (Decimal("0.6") + noise * 5)
        return (kr.target_value + direction * offset).quantize(Decimal("0.1"))
    progress = max(Decimal("0"), min(Decimal("1.05"), share * pace + noise))
    value = kr.start_value + (kr.target_value - kr.start_value) * progress
    whole = kr.unit == KeyResult.Unit.NUMBER and abs(kr.target_value - kr.start_value) >= 4  # counts are whole
    places = Decimal("1") if whole else Decimal("0.01")
    return value.quantize(places)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


@transaction.atomic
def load() -> Company | None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None or Objective.objects.filter(company=company).exists():
        return company
    people = {u.username: u for u in get_user_model().objects.filter(memberships__company=company)}
    cycle, _created = Cycle.objects.get_or_create(
        company=company,
        name=CYCLE_NAME,
        defaults={"kind": Cycle.Kind.YEAR, "start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 12, 31)},
    )
    Cycle.objects.get_or_create(
        company=company,
        name=NEXT_CYCLE_NAME,
        defaults={"kind": Cycle.Kind.YEAR, "start_date": dt.date(2027, 1, 1), "end_date": dt.date(2027, 12, 31)},
    )
    if cycle.state != Cycle.State.PLANNING:
        return company
    objectives: dict[str, Objective] = {}
    for key, title, parent, team, owner, _links, description in OBJECTIVES:
        objectives[key] = services.objective_create(
            cycle=cycle,
            title=title,
            parent=objectives.get(parent) if parent else None,
            team=team,
            owner=people.get(owner),
            description=description,
            actor=None,
        )
    for key, _title, _parent, _team, _owner, links, _description in OBJECTIVES:
        if links:
            services.objective_links_set(objective=objectives[key], targets=[objectives[t] for t in links], actor=None)
    plans = []
    for key, title, kind, unit, start, target, weight, owner, pace, special in KEY_RESULTS:
        kr = services.key_result_create(
            objective=objectives[key],
            title=title,
            kind=kind,
            unit=unit,
            start_value=Decimal(start),
            target_value=Decimal(target),
            weight=Decimal(weight),
            owner=people.get(owner),
            actor=None,
        )
        plans.append((kr, Decimal(pace), special))
    for objective in Objective.objects.filter(cycle=cycle):
        services.objective_update(objective=objective, version=objective.version, actor=None, state="committed")
    services.cycle_activate(cycle=cycle, actor=None)

    rng = random.Random(2026)
    mondays = _mondays(min(timezone.localdate(), cycle.end_date))
    check_ins, updated = [], []
    for index, (kr, pace, special) in enumerate(plans):
        weeks = mondays[:-3] if special == "stale" else mondays
        last = None
        for week_number, day in enumerate(weeks):
            value = _value(kr, pace, special, _share(cycle, day), day, rng)
            confidence = max(Decimal("0.1"), min(Decimal("0.95"), Decimal("0.55") + (pace - 1) * Decimal("0.8")))
            confidence = (confidence + Decimal(str(round(rng.uniform(-0.05, 0.05), 2)))).quantize(Decimal("0.05"))
            confidence = max(Decimal("0.05"), min(Decimal("1"), confidence))
            last = CheckIn(
                company=company,
                key_result=kr,
                value=value,
                confidence=confidence,
                comment=COMMENTS[(index + week_number) % len(COMMENTS)],
                author=kr.owner,
                created_at=_at(day),
            )
            check_ins.append(last)
        if last is not None:
            kr.current_value, kr.confidence, kr.last_check_in_at = last.value, last.confidence, last.created_at
            updated.append(kr)
    CheckIn.objects.bulk_create(check_ins, batch_size=1000)
    KeyResult.objects.bulk_update(updated, ["current_value", "confidence", "last_check_in_at"], batch_size=500)
    return company
