"""The decision and action log of the weekly execution review: "who does what by when"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.safety import TitleField
from core.tenancy import CompanyManager
from objectives.models import Initiative, KeyResult, Objective


class ReviewAction(models.Model):
    """One entry of the log: what is to be done (and the decision behind it), by whom, by when, and what it concerns.

    ``week_start`` is the Monday of the review week it was logged in; an open entry shows in every later week's
    review until it is done (carried over)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="review_actions")
    title = TitleField(_("what"), max_length=240)
    decision = models.TextField(_("decision"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_actions", verbose_name=_("who")
    )
    due_date = models.DateField(_("by when"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    week_start = models.DateField(_("review week"))
    objective = models.ForeignKey(
        Objective, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("objective")
    )
    key_result = models.ForeignKey(
        KeyResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("key result")
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("initiative")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["company", "week_start", "status"], name="review_action_week_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "done"]), name="review_action_status_valid"),
            models.CheckConstraint(
                condition=(Q(status="done") & Q(completed_at__isnull=False))
                | (Q(status="open") & Q(completed_at__isnull=True)),
                name="review_action_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title
