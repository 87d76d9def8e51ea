"""Demo part of the priority matrix: Voltaria's 14 initiatives before prioritisation, rated by four workshop
participants, 8 active afterwards (focus limit 8), each bound to key results of the cascade; plus the previous
cycle "Geschäftsjahr 2025" in which 14 initiatives ran in parallel (8 of 14: the case's −40 % and more).

Idempotent and deterministic: once the current cycle has initiatives, nothing is changed. Needs the cascade demo's
key results; without them it creates nothing and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from companies.demo import DEMO_SLUG, PARTNER_USERNAME
from companies.models import Company, Membership
from objectives.models import Cycle, KeyResult

from .models import Initiative, InitiativePartner
from .services import initiatives as services

log = logging.getLogger(__name__)

CURRENT_CYCLE = "Geschäftsjahr 2026"
PREVIOUS_CYCLE = "Geschäftsjahr 2025"
RATERS = ["lena.berger", "markus.hoffmann", "petra.schulz", "thomas.krueger"]
FACILITATOR = "lena.berger"
FOCUS_LIMIT = 8
# The agency Nordlicht runs the webinar series: the demo's partner login sees this initiative and its key results.
PARTNER_INITIATIVE = "Webinar-Reihe „Netzstabilität kompakt“"

# title, description, owner, cost (EUR), person-days, key-result keywords, contribution x4, effort x4, final state
INITIATIVES = [
    (
        "ABM-Programm für die 50 größten Stadtwerke",
        "Account-based Marketing mit dem Vertrieb: Buying Center je Stadtwerk, personalisierte Inhalte, Events.",
        "markus.hoffmann",
        95000,
        80,
        ["win-rate", "neukunden", "marketingbeitrag zur pipeline", "pipeline", "stadtwerk"],
        (5, 5, 4, 5),
        (4, 4, 4, 5),
        Initiative.State.ACTIVE,
    ),
    (
        "Webinar-Reihe „Netzstabilität kompakt“",
        "Sechs Fachwebinare für Netzbetreiber mit Kundenreferenten; Aufzeichnungen als Lead-Magnet.",
        "anna.fischer",
        18000,
        25,
        ["webinar", "qualifizierte leads", "lead"],
        (4, 5, 4, 4),
        (2, 2, 3, 2),
        Initiative.State.ACTIVE,
    ),
    (
        "Lead-Scoring mit dem Vertrieb in der Marketing-Automation",
        "Gemeinsame Definition qualifizierter Leads, Scoring-Modell und Übergabe-SLA an den Vertrieb.",
        "clara.vogel",
        40000,
        45,
        ["lead-definition", "annahmequote", "lead"],
        (5, 4, 4, 5),
        (3, 3, 4, 3),
        Initiative.State.ACTIVE,
    ),
    (
        "SEO-Offensive für Batteriespeicher und Netzlösungen",
        "Themen-Cluster, technische Fachartikel und Landingpages für die zwanzig wichtigsten Suchbegriffe.",
        "laura.zimmermann",
        30000,
        40,
        ["digital generierter leads", "conversion-rate", "web"],
        (4, 3, 4, 4),
        (2, 3, 2, 2),
        Initiative.State.ACTIVE,
    ),
    (
        "Video-Case-Studies mit Referenzkunden",
        "Fünf Kundenfilme (Stadtwerke, Industrie) für Vertrieb, Website und Messen.",
        "julia.schneider",
        25000,
        20,
        ["win-rate", "value-proposition", "referenz", "pipeline"],
        (4, 4, 3, 4),
        (2, 2, 2, 3),
        Initiative.State.ACTIVE,
    ),
    (
        "Partnerprogramm für Installateure und Planungsbüros",
        "Zertifizierung, Partnerportal und gemeinsame Kampagnen mit 40 Fachpartnern.",
        "david.neumann",
        60000,
        70,
        ["neukunden", "marketingbeitrag zur pipeline", "partner", "pipeline"],
        (4, 4, 5, 3),
        (4, 5, 4, 4),
        Initiative.State.ACTIVE,
    ),
    (
        "Messeauftritt E-world energy & water 2026",
        "Stand in Essen mit Demo-Speicher, Termin-Vorqualifizierung durch den Vertrieb und Nachfass-Kampagne.",
        "sophie.klein",
        180000,
        60,
        ["messe", "pipeline"],
        (4, 4, 3, 4),
        (5, 4, 5, 4),
        Initiative.State.ACTIVE,
    ),
    (
        "LinkedIn-Thought-Leadership für den Vorstand",
        "Redaktionsplan und Ghostwriting für zwei Vorstandsprofile zu Versorgungssicherheit und Speicher.",
        "tim.richter",
        12000,
        15,
        ["qualifizierte leads", "digital generierter leads"],
        (3, 4, 4, 3),
        (1, 2, 2, 1),
        Initiative.State.ACTIVE,
    ),
    (
        "Preisrechner für Gewerbespeicher auf der Website",
        "Interaktiver Wirtschaftlichkeitsrechner mit Übergabe an den Vertrieb.",
        "niklas.hartmann",
        22000,
        30,
        ["conversion-rate", "digital generierter leads", "web"],
        (3, 4, 3, 3),
        (3, 3, 2, 3),
        Initiative.State.PROPOSED,
    ),
    (
        "Podcast „Netz & Nachhaltigkeit“",
        "Zweiwöchentlicher Podcast mit Gästen aus Energiewirtschaft und Politik.",
        "mia.koch",
        15000,
        35,
        ["digital generierter leads"],
        (2, 3, 2, 3),
        (3, 3, 4, 3),
        Initiative.State.PAUSED,
    ),
    (
        "Neuer Messestand-Baukasten",
        "Modularer Stand für Regionalmessen, wiederverwendbar über drei Jahre.",
        "lukas.schaefer",
        55000,
        30,
        ["messe", "kosten"],
        (2, 2, 3, 2),
        (3, 3, 3, 2),
        Initiative.State.PAUSED,
    ),
    (
        "Kundenmagazin „Energiewende konkret“ (Print)",
        "Vierteljährliches Printmagazin an 8.000 Adressen.",
        "hannah.becker",
        48000,
        50,
        ["net promoter", "bestandskunden"],
        (2, 2, 1, 2),
        (4, 4, 3, 4),
        Initiative.State.DROPPED,
    ),
    (
        "Hausmesse „Voltaria Innovation Day“",
        "Eigene Veranstaltung am Standort Kassel mit 300 Gästen.",
        "paul.lange",
        70000,
        60,
        ["messe", "lead"],
        (2, 3, 2, 2),
        (5, 4, 5, 4),
        Initiative.State.DROPPED,
    ),
    (
        "Sponsoring regionaler Sportvereine",
        "Trikot- und Bandenwerbung bei fünf Vereinen im Netzgebiet.",
        "sophie.klein",
        35000,
        10,
        ["net promoter"],
        (1, 1, 2, 1),
        (2, 2, 1, 2),
        Initiative.State.DROPPED,
    ),
]

# The year before: everything ran in parallel, budgets spread evenly.
PREVIOUS_INITIATIVES = [
    "Messeauftritt E-world energy & water 2025",
    "Hausmesse „Voltaria Innovation Day“ 2025",
    "Kundenmagazin „Energiewende konkret“ (Print)",
    "Sponsoring regionaler Sportvereine",
    "Webinare zu Netzthemen (ad hoc)",
    "Neue Website (Relaunch)",
    "Google-Ads-Kampagne Gewerbespeicher",
    "Newsletter an Bestandskunden",
    "Messe Intersolar 2025",
    "Broschüren-Serie Produktportfolio",
    "Podcast „Netz & Nachhaltigkeit“",
    "Social-Media-Kampagne „Energie von morgen“",
    "Händler-Roadshow Süddeutschland",
    "Fachartikel-Serie in Branchenmedien",
]


def _key_results_for(keywords: list[str], key_results: list[KeyResult], index: int) -> list[KeyResult]:
    """Up to two key results whose titles contain a keyword (earlier keywords first); otherwise one chosen
    deterministically by order."""
    found: list[KeyResult] = []
    for word in keywords:
        for kr in key_results:
            if len(found) < 2 and word in kr.title.casefold() and kr not in found:
                found.append(kr)
    return found or [key_results[index % len(key_results)]]


def _current_cycle(company: Company) -> Cycle | None:
    cycle = Cycle.objects.filter(company=company, name=CURRENT_CYCLE).first()
    if cycle is None:
        cycle_id = (
            KeyResult.objects.filter(company=company)
            .values_list("objective__cycle_id", flat=True)
            .order_by("objective__cycle__start_date")
            .last()
        )
        cycle = Cycle.objects.filter(pk=cycle_id).first() if cycle_id else None
    return cycle


def load() -> None:
    """The initiatives with their ratings and rounds, and the demo partner's assignment."""
    _load_initiatives()
    _load_partner()


@transaction.atomic
def _load_initiatives() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None:
        return
    cycle = _current_cycle(company)
    key_results = (
        list(
            KeyResult.objects.filter(company=company, objective__cycle=cycle)
            .select_related("objective")
            .order_by("objective__position", "objective_id", "position", "id")
        )
        if cycle
        else []
    )
    if not key_results:
        log.info("initiatives demo: the demo company has no key results yet; no initiatives created.")
        return
    if Initiative.objects.filter(company=company, cycle=cycle).exists():
        return

    users = {u.username: u for u in get_user_model().objects.filter(memberships__company=company)}
    _previous_cycle(company, cycle, users)

    created = []
    for index, (title, description, owner, cost, days, keywords, *_rest) in enumerate(INITIATIVES):
        created.append(
            services.initiative_create(
                company=company,
                cycle=cycle,
                title=title,
                description=description,
                owner=users.get(owner),
                key_results=_key_results_for(keywords, key_results, index),
                estimated_cost=Decimal(cost),
                effort_days=Decimal(days),
                actor=None,
            )
        )

    # The workshop: rating opened, four participants rated, ratings revealed, rating closed.
    services.rating_round_open(cycle=cycle, actor=None)
    for initiative, (*_head, contributions, efforts, _state) in zip(created, INITIATIVES, strict=True):
        for rater, contribution, effort in zip(RATERS, contributions, efforts, strict=True):
            if rater in users:
                services.initiative_rate(
                    initiative=initiative, contribution=contribution, effort=effort, actor=users[rater]
                )
    services.rating_round_reveal(cycle=cycle, actor=None)
    services.rating_round_close(cycle=cycle, actor=None)

    # After the discussion the facilitator set the trade fair's effort to 4 (the stand is largely reused).
    services.initiative_set_final_values(
        initiative=created[6], contribution=None, effort=Decimal("4"), actor=users.get(FACILITATOR)
    )
    services.priority_settings_update(cycle=cycle, focus_limit=FOCUS_LIMIT, actor=None)
    # Paused ones ran first and were stopped in the workshop; then the eight survivors were activated.
    decisions = list(zip(created, [row[-1] for row in INITIATIVES], strict=True))
    for initiative, state in decisions:
        if state == Initiative.State.PAUSED:
            services.initiative_activate(initiative=initiative, actor=None)
            services.initiative_pause(initiative=initiative, actor=None)
    for initiative, state in decisions:
        if state == Initiative.State.ACTIVE:
            services.initiative_activate(initiative=initiative, actor=None)
        elif state == Initiative.State.DROPPED:
            services.initiative_drop(initiative=initiative, actor=None)


def _previous_cycle(company: Company, current: Cycle, users: dict) -> None:
    """Last year's cycle with its 13 parallel initiatives: history as it was imported, so written directly."""
    previous, _created = Cycle.objects.get_or_create(
        company=company,
        name=PREVIOUS_CYCLE,
        defaults={
            "kind": current.kind,
            "start_date": dt.date(2025, 1, 1),
            "end_date": dt.date(2025, 12, 31),
            "state": Cycle.State.CLOSED,
        },
    )
    if Initiative.objects.filter(company=company, cycle=previous).exists():
        return
    owners = [users.get(name) for name in ("sophie.klein", "anna.fischer", "laura.zimmermann", "hannah.becker")]
    Initiative.objects.bulk_create(
        Initiative(
            company=company,
            cycle=previous,
            title=title,
            owner=owners[index % len(owners)],
            state=Initiative.State.ACTIVE,
            estimated_cost=Decimal(40000),
        )
        for index, title in enumerate(PREVIOUS_INITIATIVES)
    )


def _load_partner() -> None:
    """The demo partner works on the webinar series (idempotent: an existing assignment is left as it is)."""
    membership = Membership.objects.filter(company__slug=DEMO_SLUG, user__username=PARTNER_USERNAME).first()
    initiative = (
        Initiative.objects.filter(company__slug=DEMO_SLUG, title=PARTNER_INITIATIVE, cycle__name=CURRENT_CYCLE)
        .select_related("company")
        .first()
    )
    if membership is None or initiative is None:
        return
    InitiativePartner.objects.get_or_create(
        initiative=initiative, membership=membership, defaults={"company": initiative.company}
    )
