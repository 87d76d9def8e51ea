"""Demo SLAs of Voltaria Energie AG (Essen, North Rhine-Westphalia): the working-hours calendar and the three
rules with their defaults. The handover data itself (owners, first contacts, rejections with reasons, recycled
leads, a few open breaches) comes with the demo leads (crm.demo). Idempotent: saving the same values again
changes nothing. Through sla.services (actor None: the system)."""

from __future__ import annotations

import datetime as dt

from companies.demo import DEMO_SLUG
from companies.models import Company

from .models import DEFAULT_RULES
from .services import sla_calendar_update, sla_rule_update


def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None:
        return
    sla_calendar_update(
        company=company,
        actor=None,
        time_zone="Europe/Berlin",
        country="DE",
        subdivision="NW",
        day_start=dt.time(8, 0),
        day_end=dt.time(17, 0),
    )
    for kind, values in DEFAULT_RULES.items():
        sla_rule_update(company=company, actor=None, kind=kind, is_active=True, **values)
