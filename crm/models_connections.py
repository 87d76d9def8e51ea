"""Live CRM connections (HubSpot, Salesforce) and the history of their syncs.

A company has at most one connection per CRM. Its credentials are stored encrypted (crm.connectors.credentials) and
never shown again; revoking wipes them. ``cursors`` holds, per stream (HubSpot "contacts"/"deals", Salesforce
"Lead"/"Opportunity"/"CampaignMember"), the last modification time written — advanced in the same transaction as
the rows of the page it ends, so a sync that stops anywhere resumes there without losing or repeating a row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company


class CrmConnection(models.Model):
    class Kind(models.TextChoices):
        HUBSPOT = "hubspot", "HubSpot"
        SALESFORCE = "salesforce", "Salesforce"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        NEEDS_AUTH = "needs_auth", _("Needs connecting again")
        REVOKED = "revoked", _("Disconnected")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="crm_connections")
    kind = models.CharField(_("CRM"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    credentials = models.TextField(_("credentials (encrypted)"), blank=True, default="")
    label = models.CharField(_("connected as"), max_length=200, blank=True, default="")
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cursors = models.JSONField(_("sync cursors"), default=dict, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    revoked_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("CRM connection")
        verbose_name_plural = _("CRM connections")
        constraints = [
            models.UniqueConstraint(fields=["company", "kind"], name="crm_connection_one_per_crm"),
            # Connected ⇔ credentials are stored; a disconnected connection keeps none.
            models.CheckConstraint(
                condition=Q(status="revoked", credentials="") | (~Q(status="revoked") & ~Q(credentials="")),
                name="crm_connection_credentials_iff_not_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.company})"


class CrmSyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        PAUSED = "paused", _("Paused by the CRM's rate limit")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Sync now")
        CONNECT = "connect", _("First sync")

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="runs")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="crm_sync_runs")
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last progress"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # {"leads": {"created": n, "updated": n}, "opportunities": {...}, "touchpoints": {...}}
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"stream", "record", "field", "message"}]
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    message = models.TextField(_("message"), blank=True, default="")

    class Meta:
        verbose_name = _("CRM sync")
        verbose_name_plural = _("CRM syncs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["connection", "-started_at"], name="crm_syncrun_connection_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | (~Q(status="running") & Q(finished_at__isnull=False)),
                name="crm_syncrun_finished_iff_not_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def rows_written(self) -> int:
        """Rows created, updated or deleted (what makes the KPIs worth recomputing)."""
        return sum(c.get("created", 0) + c.get("updated", 0) + c.get("deleted", 0) for c in self.counts.values())
