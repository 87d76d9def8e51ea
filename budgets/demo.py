"""Demo budget of Voltaria Energie AG for "Geschäftsjahr 2026": ~25 lines across the channels, every approved line
bound to a key result, a few submitted (one unbound, waiting for binding), one above the CMO limit waiting for an
executive (CMO step done), one rejected, two drafts, and actual spend January–November 2026.

Idempotent and deterministic: nothing is created when the company already has budget lines in that cycle, or when
the cascade demo (cycle and key results) is not there yet. Everything goes through budgets.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from companies.models import Company
from core.tenancy import for_company
from objectives.models import Cycle

from . import selectors, services
from .models import BudgetLine

DEMO_SLUG = "voltaria"
CYCLE_NAME = "Geschäftsjahr 2026"
CMO, EXECUTIVE = "markus.hoffmann", "petra.schulz"

# (title, channel, amount, requester, final state, key result (a title fragment of the cascade demo's key results;
# None: unbound), spend profile). Without a matching title the n-th key result covering the cycle is taken.
# Spend profiles: share of the amount spent Jan–Nov ("even" ≈ 85 %, "front" for early events, "over" overspends).
# fmt: off
LINES = [
    ("Hannover Messe 2026 – Standfläche und Bau", "Messen", "48000", "sophie.klein", "approved",
     "Pipeline je Messe-Euro", "over"),
    ("E-world energy & water Essen", "Messen", "36500", "lukas.schaefer", "approved",
     "Pipeline je Messe-Euro", "front"),
    ("Intersolar Europe München", "Messen", "42000", "hannah.becker", "approved",
     "Anteil nachverfolgter Messekontakte", "front"),
    ("Kundenforum Netzbetreiber (3 Städte)", "Events", "28000", "paul.lange", "approved",
     "Qualifizierte Leads aus den Fokussegmenten", "even"),
    ("Partner-Roadshow Stadtwerke", "Events", "22500", "sophie.klein", "approved",
     "Neukunden in den Fokussegmenten", "even"),
    ("Executive Dinner Energiewende", "Events", "9500", "hannah.becker", "approved",
     "Auftragseingang", "front"),
    ("LinkedIn Ads – Entscheider Energieversorger", "Paid Digital", "32000", "jonas.weber", "approved",
     "Anteil digital generierter Leads", "even"),
    ("Google Ads – Speicherlösungen", "Paid Digital", "24000", "laura.zimmermann", "approved",
     "Kosten je qualifiziertem Lead", "even"),
    ("Account-based Marketing Top-50 Stadtwerke", "Paid Digital", "45000", "niklas.hartmann", "approved",
     "Qualifizierte Leads aus den Fokussegmenten", "even"),
    ("Retargeting Webinar-Teilnehmer", "Paid Digital", "8000", "mia.koch", "approved",
     "Conversion-Rate der Landingpages", "even"),
    ("Whitepaper-Serie Netzstabilität", "Content", "18000", "anna.fischer", "approved",
     "Value-Proposition-Kits", "even"),
    ("Webinarreihe Wasserstoff", "Content", "12500", "david.neumann", "approved",
     "Webinarreihe für Netzbetreiber", "even"),
    ("Referenzstudien Industriekunden", "Content", "14000", "julia.schneider", "approved",
     "Win-Rate", "even"),
    ("Produktvideos Smart-Grid-Portfolio", "Content", "21000", "felix.braun", "approved",
     "Value-Proposition-Kits", "front"),
    ("Leadagentur Outbound-Kampagne", "Agenturen", "38000", "tim.richter", "approved",
     "Qualifizierte Leads aus den Fokussegmenten", "even"),
    ("PR-Agentur Fachpresse", "Agenturen", "27000", "anna.fischer", "approved",
     "Marketingbeitrag zur Pipeline", "even"),
    ("Fachartikel-Kooperation ZfK", "PR & Sponsoring", "7500", "clara.vogel", "approved",
     "Marketingbeitrag zur Pipeline", "even"),
    ("Sponsoring BDEW-Kongress", "PR & Sponsoring", "85000", "paul.lange", "awaiting_executive",
     "Auftragseingang", None),
    ("Marketing-Automation Lizenz-Upgrade", "Paid Digital", "16500", "clara.vogel", "submitted",
     "Anteil digital generierter Leads", None),
    ("Podcast „Netzgeflüster“ Staffel 2", "Content", "9800", "mia.koch", "submitted",
     None, None),
    ("Messe enlit Europe Mailand", "Messen", "39000", "lukas.schaefer", "submitted",
     "Pipeline je Messe-Euro", None),
    ("Kundenmagazin Print Q4", "Content", "11000", "julia.schneider", "submitted",
     "Net Promoter Score", None),
    ("Give-aways Messen 2026", "Messen", "6500", "hannah.becker", "rejected",
     None, None),
    ("Influencer-Kampagne Energieeffizienz", "Paid Digital", "14000", "laura.zimmermann", "draft",
     None, None),
    ("Agentur für Employer Branding", "Agenturen", "19500", "tim.richter", "draft",
     None, None),
]
# fmt: on

PROFILES = {
    "even": [
        Decimal(x) for x in ("0.06", "0.07", "0.08", "0.08", "0.08", "0.08", "0.07", "0.08", "0.09", "0.08", "0.08")
    ],
    "front": [
        Decimal(x) for x in ("0.05", "0.30", "0.25", "0.15", "0.05", "0.03", "0.02", "0.02", "0.03", "0.03", "0.02")
    ],
    "over": [
        Decimal(x) for x in ("0.05", "0.10", "0.45", "0.40", "0.06", "0.02", "0.01", "0.01", "0.01", "0.01", "0.02")
    ],
}


def _cycle(company: Company) -> Cycle | None:
    return for_company(Cycle, company).filter(name=CYCLE_NAME).first() or selectors.current_cycle(
        company, today=dt.date(2026, 11, 21)
    )


def _key_result(key_results: list, fragment: str | None, index: int):
    if fragment is None:
        return None
    for kr in key_results:
        if fragment in kr.title:
            return kr
    return key_results[index % len(key_results)]


@transaction.atomic
def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None:
        return
    cycle = _cycle(company)
    if cycle is None:
        return
    key_results = selectors.key_result_search(company=company, covering=cycle, limit=200)
    if not key_results:
        return
    if BudgetLine.objects.for_company(company).filter(cycle=cycle).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(memberships__company=company)}
    cmo, executive = users.get(CMO), users.get(EXECUTIVE)
    if cmo is None or executive is None:
        return
    channels = {c.name: c for c in services.channels_ensure_defaults(company=company)}
    limit = services.budget_settings_for(company).cmo_approval_limit
    for index, (title, channel, amount, requester, state, binding, profile) in enumerate(LINES):
        requester_user = users.get(requester) or cmo
        key_result = _key_result(key_results, binding, index)
        line = services.budget_line_create(
            company=company,
            cycle=cycle,
            title=title,
            channel=channels.get(channel) or next(iter(channels.values())),
            planned_amount=Decimal(amount),
            key_result=key_result,
            requester=requester_user,
            actor=requester_user,
            submit=state != "draft",
        )
        if state == "approved":
            approver = executive if line.planned_amount > limit else cmo
            line = services.budget_line_approve(line=line, actor=approver)
        elif state == "awaiting_executive":
            line = services.budget_line_approve(line=line, actor=cmo)
        elif state == "rejected":
            line = services.budget_line_reject(
                line=line,
                actor=cmo,
                reason="Streuartikel ohne Bezug zu einem Key Result – bitte mit Leadziel neu einreichen.",
            )
        if profile:
            for month, share in enumerate(PROFILES[profile], start=1):
                spent = (line.planned_amount * share).quantize(Decimal("0.01"))
                services.spend_entry_create(
                    line=line,
                    date=dt.date(2026, month, 10 + index % 15),
                    amount=spent,
                    reference=f"RE-2026-{month:02d}{index:03d}",
                    actor=cmo,
                )
