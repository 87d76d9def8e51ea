"""The CRM's funnel data (leads, opportunities, touchpoints), the file imports that bring it in and the saved column
mappings they read it with.

Every row belongs to a company and CRM rows are unique per (company, external id), so imports and the bulk API
upsert. Moved here from the reporting app (issue 13): the tables keep their rows (crm/migrations/0001, 0002).
"""

from __future__ import annotations

import os
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.safety import TitleField


class Lead(models.Model):
    """A lead/contact from the CRM with the times it reached each lifecycle stage (null: not reached)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="leads")
    external_id = models.CharField(_("external id"), max_length=64)
    created = models.DateTimeField(_("created in CRM"))
    channel = models.CharField(_("channel"), max_length=120, blank=True)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    segment = models.CharField(_("segment"), max_length=120, blank=True)
    is_marketing_sourced = models.BooleanField(_("marketing-sourced"), default=True)
    lifecycle_stage = models.CharField(_("lifecycle stage (as in the CRM)"), max_length=80, blank=True)
    mql_at = models.DateTimeField(_("became MQL"), null=True, blank=True)
    sal_at = models.DateTimeField(_("became SAL"), null=True, blank=True)
    sql_at = models.DateTimeField(_("became SQL"), null=True, blank=True)
    opportunity_at = models.DateTimeField(_("became opportunity"), null=True, blank=True)
    customer_at = models.DateTimeField(_("became customer"), null=True, blank=True)
    disqualified_at = models.DateTimeField(_("disqualified"), null=True, blank=True)
    # Salesforce: the opportunity the lead was converted into (links opportunities imported before or after).
    crm_opportunity_id = models.CharField(_("converted opportunity id"), max_length=64, blank=True)
    # The handover between marketing and sales (issue 18, sla app): who in sales owns the lead, when sales first
    # contacted it, and — instead of accepting it (SAL) — when and why sales rejected it and when it went back to
    # marketing's nurturing (recycled).
    # db_default too: the bulk paths write with COPY and name only the columns they have (issue 18 added these).
    owner = models.CharField(_("owner"), max_length=120, blank=True, default="", db_default="")
    first_contact_at = models.DateTimeField(_("first sales contact"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected by sales"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True, default="", db_default="")
    recycled_at = models.DateTimeField(_("recycled to marketing"), null=True, blank=True)
    # Issue 16 (delta speed): the digest of the file row (and import context) that last wrote this lead through the
    # SQL import (crm.services.imports_pg); a re-import skips a row whose digest is the same. Any UPDATE that does
    # not set it clears it (database trigger, migration 0005), so a lead changed by any other path is rewritten.
    import_digest = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="lead_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["company", "created"], name="lead_company_created_idx"),
            models.Index(fields=["company", "mql_at"], name="lead_company_mql_idx"),
            models.Index(fields=["company", "sal_at"], name="lead_company_sal_idx"),
            models.Index(fields=["company", "sql_at"], name="lead_company_sql_idx"),
            models.Index(fields=["company", "crm_opportunity_id"], name="lead_company_crm_opp_idx"),
            # Issue 7 (scale): the KPIs filter on "reached the qualified stage in the period", i.e. COALESCE of the
            # stage date and the later ones (reporting.kpis.stage_reached_at); without these expression indexes
            # every period scanned all of a company's leads. One per possible qualified stage (a company setting).
            models.Index(
                F("company"),
                Coalesce("mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at"),
                name="lead_company_reached_mql_idx",
            ),
            models.Index(
                F("company"),
                Coalesce("sal_at", "sql_at", "opportunity_at", "customer_at"),
                name="lead_company_reached_sal_idx",
            ),
            models.Index(
                F("company"), Coalesce("sql_at", "opportunity_at", "customer_at"), name="lead_company_reached_sql_idx"
            ),
            # Issue 7: lead-to-customer rate counts the leads whose customer date lies in the period.
            models.Index(fields=["company", "customer_at"], name="lead_company_customer_idx"),
            # Issue 18: the SLA pages list rejected and recycled leads by date.
            models.Index(fields=["company", "rejected_at"], name="lead_company_rejected_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Opportunity(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="opportunities")
    external_id = models.CharField(_("external id"), max_length=64)
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="opportunities")
    created = models.DateTimeField(_("created in CRM"))
    closed = models.DateTimeField(_("closed"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=4, choices=Status.choices, default=Status.OPEN)
    lead_source = models.CharField(_("lead source"), max_length=120, blank=True)
    is_marketing_sourced = models.BooleanField(_("marketing-sourced"), default=True)
    # Issue 16: as Lead.import_digest (crm.services.imports_pg_related; cleared by the trigger of migration 0007).
    import_digest = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="opportunity_unique_external_id"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(condition=Q(status__in=["open", "won", "lost"]), name="opportunity_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed__isnull=False), name="opportunity_closed_has_close_time"
            ),
            models.CheckConstraint(
                condition=Q(closed__isnull=True) | Q(closed__gte=F("created")), name="opportunity_closed_after_created"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "created"], name="opp_company_created_idx"),
            models.Index(fields=["company", "closed"], name="opp_company_closed_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Touchpoint(models.Model):
    """One marketing interaction of a lead (visit, download, webinar, fair contact, ...)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="touchpoints")
    external_id = models.CharField(_("external id"), max_length=64)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touchpoints")
    occurred = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=120)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    # Issue 16: as Lead.import_digest (crm.services.imports_pg_related; cleared by the trigger of migration 0007).
    import_digest = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["occurred", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="touchpoint_unique_external_id"),
        ]
        indexes = [models.Index(fields=["lead", "occurred"], name="touchpoint_lead_time_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.channel} {self.occurred:%Y-%m-%d}"


class CrmKind(models.TextChoices):
    LEADS = "leads", _("Leads / contacts")
    OPPORTUNITIES = "opportunities", _("Opportunities / deals")
    TOUCHPOINTS = "touchpoints", _("Touchpoints")


class ColumnMapping(models.Model):
    """A saved user-defined mapping of CSV column headers to our fields, for CRMs without a preset."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="crm_column_mappings")
    name = TitleField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=CrmKind.choices)
    # Set for the mapping the import wizard keeps per CRM and kind ("hubspot", "salesforce", "custom"): the columns
    # confirmed last time, applied to the next file from there. Blank for a mapping people named themselves.
    source = models.CharField(_("source"), max_length=20, blank=True, default="")
    # {our field name: CSV column header}
    columns = models.JSONField(_("columns"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="column_mapping_unique_name"),
            models.UniqueConstraint(
                fields=["company", "source", "kind"], condition=~Q(source=""), name="column_mapping_unique_source"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["leads", "opportunities", "touchpoints"]), name="column_mapping_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CrmUploadStorage(FileSystemStorage):
    """Uploaded CSV files wait here until the import task has read them (then they are deleted).

    The folder is ``settings.CRM_IMPORT_ROOT`` (default ``var/crm_imports``); with a separate worker machine it must
    be shared storage.
    """

    @property
    def base_location(self):
        return str(getattr(settings, "CRM_IMPORT_ROOT", settings.VAR_DIR / "crm_imports"))

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def crm_upload_storage() -> CrmUploadStorage:
    return CrmUploadStorage()


class CrmImport(models.Model):
    """One CSV import job: what was uploaded, how far the task is, and the error report by row and column."""

    class Source(models.TextChoices):
        HUBSPOT = "hubspot", _("HubSpot export")
        SALESFORCE = "salesforce", _("Salesforce export")
        CUSTOM = "custom", _("Other CRM (saved column mapping)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting confirmation")
        PENDING = "pending", _("Waiting")
        VALIDATING = "validating", _("Checking the file")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Rejected")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="crm_imports")
    kind = models.CharField(_("kind"), max_length=20, choices=CrmKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    mapping = models.ForeignKey(ColumnMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports")
    file = models.FileField(_("file"), upload_to="%Y/%m/", storage=crm_upload_storage, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    # The header's row in the uploaded file (a formatted report has its name and filters above the table; the file
    # is stored from the header on): error and sample rows are told as the spreadsheet numbers them.
    header_row = models.PositiveSmallIntegerField(_("header row"), default=1, db_default=1)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_created = models.PositiveIntegerField(_("rows new"), default=0)
    # Rows the PostgreSQL path left alone because their lead already holds what they would write (issue 16).
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"row": int|None, "column": str, "message": str}, ...], capped (error_count has the full number)
    errors = models.JSONField(_("error report"), default=list, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    # What the wizard's confirmation fixed: {our field name: CSV column header} (empty: the source's preset or the
    # saved mapping decides) and the order of the file's slash dates ("dmy", "mdy"; blank: the values decide).
    columns = models.JSONField(_("confirmed columns"), default=dict, blank=True)
    date_order = models.CharField(
        _("date order"), max_length=3, blank=True, choices=[("dmy", _("day first")), ("mdy", _("month first"))]
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("CRM import")
        verbose_name_plural = _("CRM imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "pending", "validating", "writing", "done", "failed"]),
                name="crm_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


from .models_connections import CrmConnection, CrmSyncRun  # noqa: E402, F401  (their own module)
