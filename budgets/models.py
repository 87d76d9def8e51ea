"""Budget lines, their approvals and audit log, actual spend.

The product's core rule lives here first: an approved line always has a key result, an approver and an approval
time (CheckConstraint ``budget_line_approved_is_bound``), whatever path wrote it. Workflows live in
budgets.services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.models import AppendOnlyModel
from core.safety import TitleField, validate_dates_in_range
from core.tenancy import CompanyManager
from objectives.models import Cycle, Initiative, KeyResult


class BudgetSettings(models.Model):
    """Per-company budget rules: up to which amount a CMO may approve alone."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="budget_settings")
    cmo_approval_limit = models.DecimalField(
        _("CMO approval limit"), max_digits=14, decimal_places=2, default=Decimal("50000.00")
    )

    objects = CompanyManager()

    class Meta:
        verbose_name = _("budget settings")
        verbose_name_plural = _("budget settings")
        constraints = [
            models.CheckConstraint(condition=Q(cmo_approval_limit__gte=0), name="budget_settings_limit_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.company}"


class Channel(models.Model):
    """A marketing channel (events, paid digital, content, trade fairs, agencies, ...); editable per company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="channels")
    name = TitleField(_("name"), max_length=80)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="channel_unique_name_per_company")]

    def __str__(self) -> str:
        return self.name


def protect_approved_budget(collector, field, sub_objs, using):
    """``on_delete`` of BudgetLine.key_result: approved budget blocks deleting its key result (like PROTECT); lines
    that are not approved yet are unbound instead (like SET_NULL) and wait for a new binding.

    A plain PROTECT cannot do this: the deletion collector raises before any pre_delete signal could unbind the
    lines. budgets.signals writes the matching "bind" audit entries inside the deletion's transaction.
    """
    approved = (
        sub_objs.filter(state="approved")
        if hasattr(sub_objs, "filter")
        else [o for o in sub_objs if o.state == "approved"]
    )
    approved = list(approved)
    if approved:
        raise ProtectedError(
            _("This key result carries approved budget (%(lines)s) and cannot be deleted.")
            % {"lines": ", ".join(line.title for line in approved[:5])},
            approved,
        )
    collector.add_field_update(field, None, sub_objs)


class BudgetLine(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="budget_lines")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="budget_lines")
    title = TitleField(_("title"), max_length=240)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="budget_lines", verbose_name=_("channel")
    )
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_lines",
        verbose_name=_("initiative"),
    )
    # Optional until approval. A key result that carries approved budget cannot be deleted (protect_approved_budget).
    key_result = models.ForeignKey(
        KeyResult,
        on_delete=protect_approved_budget,
        null=True,
        blank=True,
        related_name="budget_lines",
        verbose_name=_("key result"),
    )
    planned_amount = models.DecimalField(_("planned amount"), max_digits=14, decimal_places=2)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_budget_lines",
        verbose_name=_("requester"),
    )
    # Four eyes apply to the version, not only to the request: whoever last changed the amount or the key result
    # (the requester until someone else does) may not approve this version, nor give its CMO step.
    last_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("amount or key result last changed by"),
    )
    # First approval step of a line above the CMO limit: the CMO has approved, an executive must still approve.
    cmo_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("CMO approval by"),
    )
    cmo_approved_at = models.DateTimeField(_("CMO approval time"), null=True, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_budget_lines",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approval time"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["cycle", "channel__position", "title"]
        indexes = [models.Index(fields=["company", "cycle", "state"], name="budget_line_company_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(key_result__isnull=False, approver__isnull=False, approved_at__isnull=False),
                name="budget_line_approved_is_bound",
            ),
            models.CheckConstraint(condition=Q(planned_amount__gte=0), name="budget_line_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted", "approved", "rejected"]), name="budget_line_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=models.F("requester")),
                name="budget_line_no_self_approval",
            ),
            models.CheckConstraint(
                condition=Q(cmo_approved_by__isnull=True) | ~Q(cmo_approved_by=models.F("requester")),
                name="budget_line_no_self_cmo_approval",
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=models.F("last_changed_by")),
                name="budget_line_no_approval_by_last_changer",
            ),
            models.CheckConstraint(
                condition=Q(cmo_approved_by__isnull=True) | ~Q(cmo_approved_by=models.F("last_changed_by")),
                name="budget_line_no_cmo_step_by_last_changer",
            ),
            # The two steps above the CMO limit are two people.
            models.CheckConstraint(
                condition=Q(cmo_approved_by__isnull=True)
                | Q(approver__isnull=True)
                | ~Q(cmo_approved_by=models.F("approver")),
                name="budget_line_cmo_and_executive_step_differ",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="budget_line_version_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # A new line has been changed by nobody but its requester yet (rows written outside the services too).
        if self.last_changed_by_id is None and self.requester_id is not None:
            self.last_changed_by_id = self.requester_id
        super().save(*args, **kwargs)


class BudgetAuditEntry(AppendOnlyModel):
    """Append-only log of every submit, approval, rejection, re-opening and binding change."""

    append_only_message = "Audit entries are append-only."

    class Event(models.TextChoices):
        CREATE = "create", _("Created")
        SUBMIT = "submit", _("Submitted")
        APPROVE_CMO = "approve_cmo", _("Approved by CMO (executive approval pending)")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        REOPEN = "reopen", _("Sent back for re-approval")
        BIND = "bind", _("Key result changed")
        AMOUNT = "amount", _("Amount changed")
        EDIT = "edit", _("Details changed")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="audit_entries")
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    key_result = models.ForeignKey(KeyResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    key_result_title = models.CharField(max_length=240, blank=True)
    state_before = models.CharField(max_length=10, blank=True)
    state_after = models.CharField(max_length=10, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["line", "at"], name="budget_audit_line_time_idx")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.event}"


class SpendEntry(models.Model):
    """Actual spend booked against a budget line."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="spend_entries")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("spend entry")
        verbose_name_plural = _("spend entries")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["company", "date"], name="spend_company_date_idx")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.date} {self.amount}"

    def clean(self) -> None:
        super().clean()
        validate_dates_in_range(date=self.date)
