"""Scoring rules: expected progress at a date, status colour and word, the reminder period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company

from ...models import CascadeSettings, Cycle

ZERO = Decimal("0")
ONE = Decimal("1")
QUANTUM = Decimal("0.0001")
DEFAULT_REMINDER_DAYS = 7


def _q(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM)


# ------------------------------------------------------------------------------------------------ scoring rules


def expected_progress(*, cycle: Cycle, on: dt.date | None = None) -> Decimal:
    """The share of the cycle elapsed on ``on`` (default today), clamped to 0..1: 0 on the first day, 1 on the last."""
    on = on or timezone.localdate()
    total = (cycle.end_date - cycle.start_date).days
    if total <= 0:
        return ONE if on >= cycle.start_date else ZERO
    share = Decimal((on - cycle.start_date).days) / Decimal(total)
    return _q(min(ONE, max(ZERO, share)))


STATUS_LABELS = {"red": _("At risk"), "amber": _("Behind"), "green": _("On track")}


def score_status(*, company: Company, score) -> tuple[str, str]:
    """("red", "At risk") / ("amber", "Behind") / ("green", "On track") by the company's thresholds."""
    return _Status(company)(Decimal(score))


def _pace_score(progress: Decimal, expected: Decimal) -> Decimal:
    if expected <= ZERO:
        return ONE
    return min(ONE, progress / expected)


def cascade_settings_get(*, company: Company) -> CascadeSettings:
    """The company's cascade settings (the defaults, unsaved, when none were stored yet)."""
    return CascadeSettings.objects.filter(company=company).first() or CascadeSettings(company=company)


def reminder_after_days(company: Company) -> int:
    settings = CascadeSettings.objects.filter(company=company).values_list("reminder_after_days", flat=True).first()
    return settings or DEFAULT_REMINDER_DAYS


class _Status:
    """The status rule (red / amber / green by the company's thresholds) with the translated words looked up once:
    a tree reuses one instance for every node; :func:`score_status` uses it for a single score."""

    def __init__(self, company: Company) -> None:
        self.green_from = Decimal(company.score_green_from)
        self.amber_from = Decimal(company.score_amber_from)
        self.labels = {key: str(label) for key, label in STATUS_LABELS.items()}

    def __call__(self, score: Decimal) -> tuple[str, str]:
        if score >= self.green_from:
            key = "green"
        elif score >= self.amber_from:
            key = "amber"
        else:
            key = "red"
        return key, self.labels[key]
