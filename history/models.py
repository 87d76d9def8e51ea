"""The change history: one row per change of a row of a model that an app registered (history/tracking.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import CompanyManager


class ChangeRecord(models.Model):
    """One change of a tracked row: who, when, and each changed field as ``{field: [before, after]}``.

    Written by signals (history/tracking.py) for every path into the data (page, API, admin, import, task), so it
    needs no cooperation from the services. Append-only.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_label = models.CharField(_("object"), max_length=255)
    action = models.CharField(_("action"), max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["company", "-at"], name="change_company_at_idx"),
            models.Index(fields=["company", "content_type", "object_id"], name="change_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["created", "updated", "deleted"]), name="change_action_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_label} {self.action} {self.at:%Y-%m-%d %H:%M}"
