"""Demo part of the weekly review (Voltaria Energie AG): a decision and action log for this week, with an action of
last week still open (carried over) and one done, each linked to a key result or initiative of the demo cascade.
The KPI alerts come from the board's own refresh (reporting.services_alerts checks every refresh of the demo).

Idempotent: nothing is created when the company already has review actions. Everything goes through the services.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from companies.demo import DEMO_SLUG
from companies.models import Company
from core.tenancy import for_company
from objectives.models import Cycle, Initiative, KeyResult

from . import services
from .models import ReviewAction

# (weeks ago logged, title, decision, owner, due in days from that week's Monday, done?, link: "kr:<n>" / "init:<n>")
ACTIONS = [
    (1, "Webinar-Leads an den Vertrieb übergeben und nachfassen",
     "Leads aus dem Oktober-Webinar gehen gesammelt an den Vertrieb.", "sabine.wolf", 4, True, "kr:0"),
    (1, "Kampagnenbudget Q1 mit Vertrieb abstimmen", "", "markus.hoffmann", 9, False, "init:0"),
    (0, "Ursachen für die sinkende Konfidenz bei der Pipeline klären",
     "Die Pipeline-Prognose wird bis Freitag neu bewertet.", "jonas.weber", 4, False, "kr:1"),
    (0, "Messeplanung 2027 auf zwei Leitmessen reduzieren",
     "Beschlossen: nur noch zwei Leitmessen, Budget bleibt gleich.", "sophie.klein", 11, False, "init:1"),
    (0, "Check-ins der Content-Key-Results nachholen", "", "anna.fischer", 2, False, "kr:2"),
]  # fmt: skip


def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None or ReviewAction.objects.for_company(company).exists():
        return
    cycle = for_company(Cycle, company).filter(state=Cycle.State.ACTIVE).order_by("-start_date").first()
    if cycle is None:
        return
    key_results = list(
        for_company(KeyResult, company)
        .filter(objective__cycle__start_date__gte=cycle.start_date)
        .order_by("objective__position", "position", "id")[:3]
    )
    initiatives = list(for_company(Initiative, company).filter(cycle=cycle).order_by("title", "id")[:2])
    people = {u.username: u for u in get_user_model().objects.filter(memberships__company=company)}
    this_monday = services.week_start_of(timezone.localdate())
    for weeks_ago, title, decision, owner, due_in, done, link in ACTIONS:
        if owner not in people:
            continue
        kind, index = link.split(":")
        pool = key_results if kind == "kr" else initiatives
        target = pool[int(index)] if int(index) < len(pool) else None
        monday = this_monday - dt.timedelta(days=7 * weeks_ago)
        action = services.review_action_create(
            company=company,
            actor=None,
            title=title,
            decision=decision,
            owner=people[owner],
            due_date=monday + dt.timedelta(days=due_in),
            week_start=monday,
            key_result=target if kind == "kr" else None,
            initiative=target if kind == "init" else None,
        )
        if done:
            services.review_action_set_done(company=company, actor=None, action_id=action.pk, done=True)
