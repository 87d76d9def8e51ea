"""Initiatives and everything the priority matrix needs: ratings, per-cycle rating rounds, final values."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.safety import TitleField
from objectives.models import Cycle, KeyResult

SCALE_MIN = 1
SCALE_MAX = 5
DEFAULT_MIDPOINT = Decimal("3")


class Initiative(models.Model):
    # Initiatives that ran in a cycle (not merely proposed, not dropped): a closed cycle's initiatives end as
    # "done", so comparisons with a previous cycle count these, and the current cycle counts its active ones.
    RAN_STATES = ("active", "paused", "done")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="initiatives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="initiatives")
    title = TitleField(_("title"), max_length=240)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_initiatives"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    key_results = models.ManyToManyField(KeyResult, related_name="initiatives", blank=True)
    estimated_cost = models.DecimalField(_("estimated cost"), max_digits=14, decimal_places=2, null=True, blank=True)
    effort_days = models.DecimalField(_("effort (person-days)"), max_digits=8, decimal_places=1, null=True, blank=True)
    # Set by the facilitator after the discussion; overrides the median of the ratings and is recorded as such.
    final_contribution = models.DecimalField(
        _("final contribution"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    final_effort = models.DecimalField(_("final effort"), max_digits=2, decimal_places=1, null=True, blank=True)
    final_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    final_set_at = models.DateTimeField(_("final values set at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["title"]
        indexes = [models.Index(fields=["company", "cycle", "state"], name="initiative_cycle_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "active", "paused", "done", "dropped"]),
                name="initiative_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(estimated_cost__isnull=True) | Q(estimated_cost__gte=0), name="initiative_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(effort_days__isnull=True) | Q(effort_days__gte=0),
                name="initiative_effort_days_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(final_contribution__isnull=True)
                | Q(final_contribution__gte=SCALE_MIN, final_contribution__lte=SCALE_MAX),
                name="initiative_final_contribution_range",
            ),
            models.CheckConstraint(
                condition=Q(final_effort__isnull=True) | Q(final_effort__gte=SCALE_MIN, final_effort__lte=SCALE_MAX),
                name="initiative_final_effort_range",
            ),
            # A final value is always recorded with its time (the person may later be deleted: SET_NULL).
            models.CheckConstraint(
                condition=Q(final_contribution__isnull=True, final_effort__isnull=True) | Q(final_set_at__isnull=False),
                name="initiative_final_values_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_final_values(self) -> bool:
        return self.final_contribution is not None or self.final_effort is not None


class InitiativePartner(models.Model):
    """A partner (a membership with the partner role, someone of an agency) works on an initiative: they see it, the
    key results it feeds and may check in on those. Assigning is initiatives.services.partners'
    ``initiative_partner_assign`` (which checks the role and the company)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="partner_assignments")
    membership = models.ForeignKey(
        "companies.Membership", on_delete=models.CASCADE, related_name="initiative_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner assignment")
        verbose_name_plural = _("partner assignments")
        ordering = ["initiative_id", "membership_id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "membership"], name="initiative_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} ↔ {self.membership_id}"


class InitiativeRating(models.Model):
    """One participant's scores for one initiative; changeable while the cycle's rating round is open."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="initiative_ratings")
    contribution = models.PositiveSmallIntegerField(_("contribution"))
    effort = models.PositiveSmallIntegerField(_("effort"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["initiative_id", "rater_id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "rater"], name="initiative_rating_one_per_rater"),
            models.CheckConstraint(
                condition=Q(contribution__gte=SCALE_MIN, contribution__lte=SCALE_MAX),
                name="initiative_rating_contribution_range",
            ),
            models.CheckConstraint(
                condition=Q(effort__gte=SCALE_MIN, effort__lte=SCALE_MAX), name="initiative_rating_effort_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}/{self.rater_id}: {self.contribution}/{self.effort}"


class PrioritySettings(models.Model):
    """The cycle's rating round and prioritisation settings (one row per cycle, created on first change)."""

    class RatingState(models.TextChoices):
        CLOSED = "closed", _("Closed")
        OPEN = "open", _("Open")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="priority_settings")
    rating_state = models.CharField(_("rating"), max_length=10, choices=RatingState.choices, default=RatingState.CLOSED)
    revealed = models.BooleanField(_("ratings revealed"), default=False)
    focus_limit = models.PositiveSmallIntegerField(
        _("focus limit"), null=True, blank=True, help_text=_("The maximum number of active initiatives.")
    )
    midpoint = models.DecimalField(
        _("quadrant midpoint"),
        max_digits=2,
        decimal_places=1,
        default=DEFAULT_MIDPOINT,
        help_text=_("Values above the midpoint count as high, values on or below it as low."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("priority settings")
        verbose_name_plural = _("priority settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_state__in=["closed", "open"]), name="priority_rating_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(focus_limit__isnull=True) | Q(focus_limit__gte=1), name="priority_focus_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(midpoint__gt=SCALE_MIN, midpoint__lt=SCALE_MAX), name="priority_midpoint_inside_scale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.rating_state}"

    @property
    def is_open(self) -> bool:
        return self.rating_state == self.RatingState.OPEN


# Written anchors per scale step: what a 1 … 5 means, shown on the rating view and in the matrix legend.
CONTRIBUTION_ANCHORS: dict[int, str] = {
    1: _("No noticeable effect on any key result"),
    2: _("Helps a key result a little, indirectly"),
    3: _("Moves a key result noticeably"),
    4: _("Moves a key result strongly, or several a little"),
    5: _("Moves a key result decisively"),
}
EFFORT_ANCHORS: dict[int, str] = {
    1: _("A few days of one person"),
    2: _("A few weeks of one person"),
    3: _("A few weeks of a small team"),
    4: _("A month or more of a small team"),
    5: _("A quarter of the whole team"),
}
