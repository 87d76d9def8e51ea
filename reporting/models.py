"""Reporting settings and the binding of key results to KPIs. The CRM data the KPIs read lives in the crm app;
KPI snapshots, alerts and the rest of the board's tables live in their own modules (imported at the end).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from crm.sources import DEFAULT_OTHER_SOURCES, DEFAULT_SALES_SOURCES, SourceLists
from objectives.models import KeyResult


class ReportingSettings(models.Model):
    """Per-company choices behind the KPIs.

    ``qualified_stage`` defaults to MQL: most B2B marketing teams are measured on MQLs, and an MQL date is what
    HubSpot exports by default; companies whose marketing hands over accepted or sales-qualified leads switch it.
    """

    class Stage(models.TextChoices):
        MQL = "mql", _("Marketing qualified lead (MQL)")
        SAL = "sal", _("Sales accepted lead (SAL)")
        SQL = "sql", _("Sales qualified lead (SQL)")

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="reporting_settings")
    qualified_stage = models.CharField(_("qualified stage"), max_length=3, choices=Stage.choices, default=Stage.MQL)
    focus_segments = models.JSONField(_("focus segments"), default=list, blank=True)
    attribution_half_life_days = models.PositiveSmallIntegerField(
        _("time-decay half-life (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    sales_sources = models.JSONField(_("sales-sourced lead sources"), default=list, blank=True)
    other_sources = models.JSONField(_("lead sources of unknown origin"), default=list, blank=True)

    class Meta:
        verbose_name = _("reporting settings")
        verbose_name_plural = _("reporting settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(qualified_stage__in=["mql", "sal", "sql"]), name="reporting_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(attribution_half_life_days__gte=1, attribution_half_life_days__lte=365),
                name="reporting_half_life_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company}"

    @property
    def currency(self) -> str:
        return self.company.currency

    @property
    def sales_source_list(self) -> list[str]:
        return list(self.sales_sources) if self.sales_sources else list(DEFAULT_SALES_SOURCES)

    @property
    def other_source_list(self) -> list[str]:
        return list(self.other_sources) if self.other_sources else list(DEFAULT_OTHER_SOURCES)

    @property
    def uses_default_sources(self) -> bool:
        return not self.sales_sources and not self.other_sources

    def source_class(self, source: str) -> str:
        """ "sales", "other" or "marketing" for a lead source (the company's lists, else the defaults)."""
        key = (tuple(self.sales_source_list), tuple(self.other_source_list))
        if getattr(self, "_sources_key", None) != key:  # the import asks once per row: build the sets once
            self._sources_key = key
            self._sources = SourceLists(*key)
        return self._sources.source_class(source)

    def is_sales_source(self, source: str) -> bool:
        return self.source_class(source) == "sales"

    def is_marketing_source(self, source: str) -> bool:
        return self.source_class(source) == "marketing"


class KpiBinding(models.Model):
    """A key result that tracks a KPI: its target is the KPI's target and every refresh checks the KPI value in."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kpi_key = models.CharField(_("KPI"), max_length=60)
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="kpi_bindings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("KPI binding")
        verbose_name_plural = _("KPI bindings")
        ordering = ["kpi_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kpi_key", "key_result"], name="kpi_binding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_key} → {self.key_result_id}"


# KPI snapshots, refresh jobs and digest subscriptions (board work) live in their own module.
from .models_alerts import KpiAlert, KpiAlertSetting, KpiAlertSubscription  # noqa: E402, F401
from .models_snapshots import (  # noqa: E402, F401
    AttributionSnapshot,
    CrmDataDigest,
    DigestSubscription,
    KpiRefresh,
    KpiSnapshot,
    KpiTarget,
)
