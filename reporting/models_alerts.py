"""KPI alerts: what the check after each KPI refresh found (reporting.alerts states the rule), the per-KPI rule
settings (k and n) and the per-KPI e-mail subscriptions.

No alert storm, held by the database: one alert per KPI and period (a period that fired once never fires again,
whatever happens to its alert) and at most one OPEN alert per KPI (a partial unique constraint).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company

DEFAULT_K = Decimal("3")
DEFAULT_N = 6
MIN_N = 3
MAX_N = 36


class KpiAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="kpi_alerts")
    kpi = models.CharField(_("KPI"), max_length=64)
    period_key = models.CharField(_("period"), max_length=40)
    period_label = models.CharField(_("period label"), max_length=80, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=10)
    # Which checks fired ("target", "history") and everything they read: value, target, attainment, the history
    # values with their periods, median, MAD, k, n and the bounds (Decimals as strings).
    reasons = models.JSONField(_("reasons"), default=list, encoder=DjangoJSONEncoder)
    inputs = models.JSONField(_("inputs"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField(_("raised at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("subscribers notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI alert")
        verbose_name_plural = _("KPI alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["company", "status", "-raised_at"], name="kpi_alert_company_idx")]
        constraints = [
            models.UniqueConstraint(fields=["company", "kpi", "period_key"], name="kpi_alert_unique_period"),
            models.UniqueConstraint(
                fields=["company", "kpi"], condition=Q(status="open"), name="kpi_alert_one_open_per_kpi"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]), name="kpi_alert_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | (Q(acknowledged_at__isnull=False) & ~Q(note="")),
                name="kpi_alert_acknowledged_with_note",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False), name="kpi_alert_resolved_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_key}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class KpiAlertSetting(models.Model):
    """The history rule's parameters for one KPI of a company (without a row: k = 3, n = 6, enabled)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("KPI"), max_length=64)
    k = models.DecimalField(
        _("k (multiples of the MAD)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_K,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("20"))],
    )
    n = models.PositiveSmallIntegerField(
        _("n (previous periods)"), default=DEFAULT_N, validators=[MinValueValidator(MIN_N), MaxValueValidator(MAX_N)]
    )
    enabled = models.BooleanField(_("alerts on"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI alert setting")
        verbose_name_plural = _("KPI alert settings")
        ordering = ["kpi"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kpi"], name="kpi_alert_setting_unique"),
            models.CheckConstraint(condition=Q(k__gte=Decimal("0.5"), k__lte=20), name="kpi_alert_setting_k_range"),
            models.CheckConstraint(condition=Q(n__gte=MIN_N, n__lte=MAX_N), name="kpi_alert_setting_n_range"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: k={self.k} n={self.n}"


class KpiAlertSubscription(models.Model):
    """A user's opt-in to the e-mails of one KPI's alerts in one company (the row exists = subscribed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kpi_alert_subscriptions")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("KPI"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("KPI alert subscription")
        verbose_name_plural = _("KPI alert subscriptions")
        ordering = ["kpi"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "kpi"], name="kpi_alert_subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.company_id}: {self.kpi}"


__all__ = ["KpiAlert", "KpiAlertSetting", "KpiAlertSubscription"]
