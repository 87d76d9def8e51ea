"""Handover SLAs between marketing and sales (issue 18): the company's working-hours calendar and its SLA rules.

The lead data the rules are measured on lives in the CRM tables (today ``reporting.Lead``); see sla.leads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.tenancy import CompanyManager

DEFAULT_COUNTRY = "DE"
DEFAULT_DAY_START = dt.time(9, 0)
DEFAULT_DAY_END = dt.time(17, 0)


def default_time_zone() -> str:
    """The project's time zone (a callable: the migration must not pin the value of one machine's settings)."""
    return settings.TIME_ZONE


class SlaCalendar(models.Model):
    """When the clock of a time-based SLA runs: Monday to Friday between ``day_start`` and ``day_end`` in the
    company's time zone, except the public holidays of its country (and region, e.g. DE-BY) by the ``holidays``
    library. Without a saved calendar the defaults apply (Germany, the project time zone, 9:00–17:00)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="sla_calendar")
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    country = models.CharField(_("country (public holidays)"), max_length=3, default=DEFAULT_COUNTRY)
    subdivision = models.CharField(_("region (public holidays)"), max_length=10, blank=True)
    day_start = models.TimeField(_("working day starts"), default=DEFAULT_DAY_START)
    day_end = models.TimeField(_("working day ends"), default=DEFAULT_DAY_END)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("SLA calendar")
        verbose_name_plural = _("SLA calendars")
        constraints = [
            models.CheckConstraint(condition=Q(day_start__lt=models.F("day_end")), name="sla_calendar_day_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.country}{'-' + self.subdivision if self.subdivision else ''})"


class SlaRule(models.Model):
    """One SLA of the handover. Two are clocks in working hours (from MQL to acceptance or rejection by sales, from
    acceptance to the first sales contact); one is a volume (qualified leads per month in each focus segment).
    ``target_percent`` is the share of cases that must meet the rule (the traffic light of the SLA pages)."""

    class Kind(models.TextChoices):
        MQL_RESPONSE = "mql_response", _("MQL accepted or rejected by sales")
        SAL_FIRST_CONTACT = "sal_first_contact", _("First sales contact after acceptance")
        LEAD_VOLUME = "lead_volume", _("Qualified leads per month and focus segment")

    CLOCK_KINDS = (Kind.MQL_RESPONSE, Kind.SAL_FIRST_CONTACT)

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sla_rules")
    kind = models.CharField(_("rule"), max_length=20, choices=Kind.choices)
    hours = models.PositiveSmallIntegerField(
        _("within working hours"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )
    monthly_leads = models.PositiveIntegerField(
        _("qualified leads per month and segment"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    target_percent = models.DecimalField(
        _("target (share of cases within the SLA, %)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        ordering = ["company", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kind"], name="sla_rule_unique_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["mql_response", "sal_first_contact", "lead_volume"]), name="sla_rule_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="lead_volume", monthly_leads__gte=1, hours__isnull=True)
                | Q(kind__in=["mql_response", "sal_first_contact"], hours__gte=1, monthly_leads__isnull=True),
                name="sla_rule_measure_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(target_percent__gte=0, target_percent__lte=100), name="sla_rule_target_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.get_kind_display()}"

    @property
    def is_clock(self) -> bool:
        return self.kind in self.CLOCK_KINDS

    @property
    def statement(self) -> str:
        """The rule as a sentence ("An MQL is accepted or rejected by sales within 24 working hours.")."""
        if self.kind == self.Kind.MQL_RESPONSE:
            return _("An MQL is accepted (SAL) or rejected by sales within %(hours)s working hours.") % {
                "hours": self.hours
            }
        if self.kind == self.Kind.SAL_FIRST_CONTACT:
            return _("An accepted lead (SAL) gets a first sales contact within %(hours)s working hours.") % {
                "hours": self.hours
            }
        return _("Marketing delivers %(count)s qualified leads per month in each focus segment.") % {
            "count": self.monthly_leads
        }


# The defaults a company starts with (shown, and measured, until it saves its own).
DEFAULT_RULES: dict[str, dict] = {
    SlaRule.Kind.MQL_RESPONSE: {"hours": 24, "monthly_leads": None, "target_percent": Decimal("90")},
    SlaRule.Kind.SAL_FIRST_CONTACT: {"hours": 48, "monthly_leads": None, "target_percent": Decimal("90")},
    SlaRule.Kind.LEAD_VOLUME: {"hours": None, "monthly_leads": 20, "target_percent": Decimal("100")},
}
