"""KPI snapshots (the board's history), refresh jobs ("Refresh now" progress) and digest subscriptions.

Snapshots are written only by reporting.services_kpi.kpi_snapshots_refresh: a whole refresh in one transaction,
upserted on (company, kpi, period_key), so readers always see one complete set.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    CYCLE = "cycle", _("Cycle")


class KpiUnit(models.TextChoices):
    CURRENCY = "currency", _("Currency")
    PERCENT = "percent", _("Percent")
    NUMBER = "number", _("Number")
    DAYS = "days", _("Days")
    HOURS = "hours", _("Hours")  # working hours: the handover SLA response time (issue 18)


class KpiSnapshot(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="kpi_snapshots")
    kpi = models.CharField(_("KPI"), max_length=64)
    period_kind = models.CharField(_("period type"), max_length=10, choices=PeriodKind.choices)
    period_key = models.CharField(_("period"), max_length=40)
    period_label = models.CharField(_("period label"), max_length=80, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=KpiUnit.choices)
    breakdown = models.JSONField(_("breakdown"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(_("computed at"))
    # A running period (the refresh ran before its end): the value covers period_start..data_through, and
    # comparison_value is the previous period over the same number of days (comparison_start..comparison_end), so
    # the board never compares a partial period with a complete one. Null for a complete period.
    data_through = models.DateField(_("data through"), null=True, blank=True)
    comparison_value = models.DecimalField(
        _("comparison value"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    comparison_start = models.DateField(_("comparison start"), null=True, blank=True)
    comparison_end = models.DateField(_("comparison end"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")
        ordering = ["kpi", "-period_start"]
        indexes = [
            models.Index(fields=["company", "period_kind", "kpi", "-period_start"], name="kpi_snapshot_board_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "kpi", "period_key"], name="kpi_snapshot_unique_period"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="kpi_snapshot_period_order"),
            models.CheckConstraint(
                condition=Q(period_kind__in=PeriodKind.values), name="kpi_snapshot_period_kind_valid"
            ),
            models.CheckConstraint(condition=Q(unit__in=KpiUnit.values), name="kpi_snapshot_unit_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_key}: {self.value}"


class KpiTarget(models.Model):
    """A target of one KPI for one period, set by a person (reporting.targets resolves the target of any period).

    ``period_key`` is a cycle ("cycle-12": the cycle target, from which months and quarters are derived), a month
    ("2026-03") or a fiscal quarter ("2026-Q1"): an explicit target for that period, which overrides the derived one.
    Changes are recorded in the change history (history.tracking)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="kpi_targets")
    kpi = models.CharField(_("KPI"), max_length=64)
    period_kind = models.CharField(_("period type"), max_length=10, choices=PeriodKind.choices)
    period_key = models.CharField(_("period"), max_length=40)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["kpi", "period_start", "period_key"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kpi", "period_key"], name="kpi_target_unique_period"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="kpi_target_period_order"),
            models.CheckConstraint(condition=Q(period_kind__in=PeriodKind.values), name="kpi_target_period_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_key}"


# The attribution models of reporting.attribution.MODELS (kept literal here: attribution imports the models).
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "u_shaped", "w_shaped")


class AttributionSnapshot(models.Model):
    """Attribution of one period under one model, stored by the KPI refresh so the board never streams
    opportunities and touchpoints during a request. ``rows`` are reporting.attribution.attribute()'s rows with
    the Decimals as strings; ``pipeline`` is their total. Upserted on (company, model, period_key) with the KPI
    snapshots of the same refresh, in the same transaction."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="attribution_snapshots")
    model = models.CharField(_("attribution model"), max_length=20)
    period_kind = models.CharField(_("period type"), max_length=10, choices=PeriodKind.choices)
    period_key = models.CharField(_("period"), max_length=40)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    half_life_days = models.PositiveIntegerField(_("half-life (days)"))
    pipeline = models.DecimalField(_("pipeline"), max_digits=20, decimal_places=2)
    rows = models.JSONField(_("rows"), default=list, blank=True, encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("attribution snapshot")
        verbose_name_plural = _("attribution snapshots")
        ordering = ["model", "-period_start"]
        indexes = [
            models.Index(fields=["company", "model", "period_start", "period_end"], name="attribution_snapshot_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "model", "period_key"], name="attribution_snapshot_unique"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="attribution_snapshot_period_order"
            ),
            models.CheckConstraint(
                condition=Q(period_kind__in=PeriodKind.values), name="attribution_snapshot_period_kind_valid"
            ),
            models.CheckConstraint(condition=Q(model__in=ATTRIBUTION_MODELS), name="attribution_snapshot_model_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.period_key}: {self.pipeline}"


class KpiRefresh(models.Model):
    """One requested refresh ("Refresh now" or the API): its status is what the board page polls."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Scope(models.TextChoices):
        CURRENT = "current", _("Current periods")
        OPEN = "open", _("All open periods")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="kpi_refreshes")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.CURRENT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    snapshots_written = models.PositiveIntegerField(_("snapshots written"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Touched every few seconds by the worker while the refresh runs (reporting.services_kpi): a running refresh
    # whose heartbeat is older than a minute lost its worker and no longer blocks "Refresh now".
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # The lost refresh this one was started in place of (its error says when the worker stopped responding).
    replaces = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by", verbose_name=_("replaces")
    )

    class Meta:
        verbose_name = _("KPI refresh")
        verbose_name_plural = _("KPI refreshes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="kpi_refresh_company_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="kpi_refresh_status_valid"
            ),
            models.CheckConstraint(condition=Q(scope__in=["current", "open"]), name="kpi_refresh_scope_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "failed"]) | Q(finished_at__isnull=False),
                name="kpi_refresh_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.scope} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def last_sign_of_life(self):
        return self.heartbeat_at or self.started_at or self.created_at

    @property
    def lost_predecessor(self) -> KpiRefresh | None:
        """The refresh this one replaced because its worker stopped responding (None otherwise)."""
        replaced = self.replaces
        return replaced if replaced is not None and replaced.status == self.Status.FAILED else None


class DigestSubscription(models.Model):
    """A user's opt-in to the weekly KPI e-mail of one company. ``last_sent_week`` (ISO week, e.g. "2026-W47")
    makes sending idempotent: a week is claimed with a compare-and-set update before the mail goes out."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kpi_digests")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="kpi_digests")
    weekly = models.BooleanField(_("weekly KPI e-mail"), default=True)
    last_sent_week = models.CharField(_("last sent (ISO week)"), max_length=10, blank=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI digest subscription")
        verbose_name_plural = _("KPI digest subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="kpi_digest_unique_user_company")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}: {'on' if self.weekly else 'off'}"


__all__ = [
    "AttributionSnapshot",
    "DigestSubscription",
    "KpiRefresh",
    "KpiSnapshot",
    "KpiTarget",
    "KpiUnit",
    "PeriodKind",
]


class CrmDataDigest(models.Model):
    """The CRM data of a company as the last incremental KPI refresh saw it: per month, a digest of every lead,
    opportunity and touchpoint with a date in that month ({"2026-03": int}). Months whose digest differs now are
    the ones changed rows touch (reporting.kpi_incremental)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    months = models.JSONField(_("digest per month"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CRM data digest")
        verbose_name_plural = _("CRM data digests")

    def __str__(self) -> str:
        return f"{self.company} ({len(self.months)} months)"
