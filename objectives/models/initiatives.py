"""Initiatives and everything the priority matrix needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .cascade import Cycle, KeyResult
from .companies import Company


class Initiative(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="initiatives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="initiatives")
    title = models.CharField(_("title"), max_length=240)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_initiatives"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    key_results = models.ManyToManyField(KeyResult, related_name="initiatives", blank=True)
    estimated_cost = models.DecimalField(_("estimated cost"), max_digits=14, decimal_places=2, null=True, blank=True)
    effort_days = models.DecimalField(_("effort (person-days)"), max_digits=8, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "active", "paused", "done", "dropped"]),
                name="initiative_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(estimated_cost__isnull=True) | Q(estimated_cost__gte=0), name="initiative_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title
