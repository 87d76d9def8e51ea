"""The cascade: cycles, objectives, alignments, key results and their check-ins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from core.models import AppendOnlyModel
from core.safety import DATE_MAX, DATE_MIN, TitleField, validate_dates_in_range

ZERO = Decimal("0")
ONE = Decimal("1")


def dates_cover(start_date, end_date, inner_start, inner_end) -> bool:
    """Whether the period ``start_date``–``end_date`` frames ``inner_start``–``inner_end`` (both inclusive): the one
    "cycle A covers cycle B" check, also for a cycle's dates before they are saved."""
    return start_date <= inner_start and inner_end <= end_date


class Cycle(models.Model):
    class Kind(models.TextChoices):
        YEAR = "year", _("Year")
        QUARTER = "quarter", _("Quarter")
        CUSTOM = "custom", _("Custom")

    class State(models.TextChoices):
        PLANNING = "planning", _("Planning")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="cycles")
    name = TitleField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUARTER)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent cycle")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNING)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="cycle_end_after_start"),
            models.CheckConstraint(
                condition=Q(start_date__gte=DATE_MIN, end_date__lte=DATE_MAX), name="cycle_dates_in_range"
            ),
            models.CheckConstraint(condition=Q(state__in=["planning", "active", "closed"]), name="cycle_state_valid"),
            models.UniqueConstraint(fields=["company", "name"], name="cycle_unique_name_per_company"),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, start_date, end_date) -> bool:
        """Whether this cycle's dates frame the period from ``start_date`` to ``end_date``."""
        return dates_cover(self.start_date, self.end_date, start_date, end_date)

    def covers_cycle(self, other: Cycle) -> bool:
        """Cycle A covers cycle B: B lies within A's dates (an objective of B may align to one of A; a budget line
        of B may be approved against a key result of A)."""
        return self.covers(other.start_date, other.end_date)

    @staticmethod
    def covering(start_date, end_date, *, prefix: str = "") -> Q:
        """The filter for cycles (at ``prefix``, e.g. ``"objective__cycle__"``) that cover the period."""
        return Q(**{f"{prefix}start_date__lte": start_date, f"{prefix}end_date__gte": end_date})

    def clean(self) -> None:
        super().clean()
        validate_dates_in_range(start_date=self.start_date, end_date=self.end_date)
        if isinstance(self.start_date, dt.date) and isinstance(self.end_date, dt.date):
            if self.end_date < self.start_date:
                raise ValidationError({"end_date": _("The cycle must end on or after its start date.")})
            if self.end_date > _years_later(self.start_date, MAX_CYCLE_YEARS):
                raise ValidationError(
                    {"end_date": _("A cycle lasts at most %(years)d years.") % {"years": MAX_CYCLE_YEARS}}
                )


# A cycle is a year, a quarter or a custom stretch; longer than this it is a mistyped date, and every KPI refresh
# would compute a period per month of it.
MAX_CYCLE_YEARS = 5


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Objective(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMMITTED = "committed", _("Committed")

    class Rollup(models.TextChoices):
        KEY_RESULTS = "krs", _("Key results only")
        WITH_CHILDREN = "krs_and_children", _("Key results and child objectives")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="objectives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objectives")
    title = TitleField(_("title"), max_length=240)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_objectives"
    )
    # A team in use by an objective cannot be deleted (rename it instead): the cascade keeps who owns what.
    team = models.ForeignKey(
        "companies.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="objectives",
        verbose_name=_("team"),
    )  # fmt: skip
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    contributes_to = models.ManyToManyField(
        "self", through="ObjectiveLink", symmetrical=False, related_name="contributors", blank=True
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    rollup = models.CharField(_("roll-up"), max_length=20, choices=Rollup.choices, default=Rollup.WITH_CHILDREN)
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)
    # Frozen when the cycle closes (progress according to the roll-up at that moment); null while it is open.
    final_score = models.DecimalField(_("final score"), max_digits=5, decimal_places=4, null=True, blank=True)
    # The objective of an earlier cycle this one was carried over from (carry-over never copies one twice).
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("carried over from"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["company", "cycle", "parent", "position"], name="objective_tree_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["draft", "committed"]), name="objective_state_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="objective_version_positive"),
            models.CheckConstraint(condition=Q(rollup__in=["krs", "krs_and_children"]), name="objective_rollup_valid"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="objective_not_own_parent"),
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__gte=0, final_score__lte=1),
                name="objective_final_score_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ObjectiveLink(models.Model):
    """An additional "contributes to" alignment of an objective to another objective besides its primary parent."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alignment")
        verbose_name_plural = _("alignments")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="objective_link_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="objective_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


def key_result_progress(kind: str, start, target, current) -> Decimal:
    """Progress in [0, 1] of a key result.

    increase/decrease: clamp((current - start) / (target - start), 0, 1) — one formula covers both directions;
    stay above/below: 1 while the bound (target) holds, else 0; milestone: current 1 = done, else 0.
    """
    if kind == KeyResult.Kind.MILESTONE:
        return ONE if current is not None and Decimal(current) >= ONE else ZERO
    if current is None:
        current = start
    if current is None or target is None:
        return ZERO
    current, target = Decimal(current), Decimal(target)
    if kind == KeyResult.Kind.STAY_ABOVE:
        return ONE if current >= target else ZERO
    if kind == KeyResult.Kind.STAY_BELOW:
        return ONE if current <= target else ZERO
    start = Decimal(start if start is not None else 0)
    if target == start:
        return ONE if current == target else ZERO
    return min(ONE, max(ZERO, (current - start) / (target - start)))


class KeyResult(models.Model):
    class Kind(models.TextChoices):
        INCREASE_TO = "increase_to", _("Increase to")
        DECREASE_TO = "decrease_to", _("Decrease to")
        STAY_ABOVE = "stay_above", _("Stay above")
        STAY_BELOW = "stay_below", _("Stay below")
        MILESTONE = "milestone", _("Milestone")

    class Unit(models.TextChoices):
        NUMBER = "number", _("Number")
        PERCENT = "percent", _("Percent")
        CURRENCY = "currency", _("Currency")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="key_results")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = TitleField(_("title"), max_length=240)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.INCREASE_TO)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.NUMBER)
    start_value = models.DecimalField(_("start value"), max_digits=18, decimal_places=4, default=ZERO)
    target_value = models.DecimalField(_("target value"), max_digits=18, decimal_places=4, default=ONE)
    current_value = models.DecimalField(_("current value"), max_digits=18, decimal_places=4, null=True, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=ONE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_key_results"
    )
    confidence = models.DecimalField(_("confidence"), max_digits=3, decimal_places=2, default=Decimal("0.50"))
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)
    final_score = models.DecimalField(_("final score"), max_digits=5, decimal_places=4, null=True, blank=True)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["position", "id"]
        # The cascade reads a cycle's key results as "company = ? AND objective_id = <each objective>": without one
        # index for both conditions PostgreSQL may AND the single-column indexes, scanning every key result of the
        # company once per objective (quadratic; 1.3 s at 5,000 objectives when the statistics are stale).
        indexes = [models.Index(fields=["company", "objective", "position"], name="key_result_tree_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="key_result_weight_positive"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1), name="key_result_confidence_range"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["stay_above", "stay_below", "milestone"])
                | Q(kind="increase_to", target_value__gt=F("start_value"))
                | Q(kind="decrease_to", target_value__lt=F("start_value")),
                name="key_result_direction_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["increase_to", "decrease_to", "stay_above", "stay_below", "milestone"]),
                name="key_result_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(unit__in=["number", "percent", "currency"]), name="key_result_unit_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="key_result_version_positive"),
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__gte=0, final_score__lte=1),
                name="key_result_final_score_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="milestone") | Q(current_value__isnull=True) | Q(current_value__in=[0, 1]),
                name="key_result_milestone_done_or_not",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def progress(self) -> Decimal:
        return key_result_progress(self.kind, self.start_value, self.target_value, self.current_value)


class CheckInQuerySet(models.QuerySet):
    """Bulk writes cannot rewrite history either: ``update()`` and ``delete()`` are refused. (Deleting a key result
    in planning still removes its check-ins: Django's cascade collector deletes without going through here.)"""

    def update(self, **kwargs):
        raise ValueError("Check-ins are append-only.")

    def delete(self):
        raise ValueError("Check-ins are append-only.")


class CheckIn(AppendOnlyModel):
    """Append-only: a check-in is never edited or deleted. The key result's current value is the newest one."""

    append_only_message = "Check-ins are append-only."

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    confidence = models.DecimalField(_("confidence"), max_digits=3, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    is_automatic = models.BooleanField(_("automatic"), default=False)
    created_at = models.DateTimeField(_("time"), db_index=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["key_result", "-created_at"], name="check_in_kr_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(confidence__gte=0, confidence__lte=1), name="check_in_confidence_range"),
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id}: {self.value}"


class CascadeSettings(models.Model):
    """Per-company cascade settings: after how many days without a check-in a key result counts as stale and its
    owner gets the weekly reminder."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="cascade_settings")
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after days without check-in"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    reminders_enabled = models.BooleanField(_("send weekly check-in reminders"), default=True)

    class Meta:
        verbose_name = _("cascade settings")
        verbose_name_plural = _("cascade settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_after_days__gte=1, reminder_after_days__lte=90),
                name="cascade_settings_reminder_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company}"


class ReminderLog(models.Model):
    """One row per owner, company and ISO week a check-in reminder went out: the weekly task is idempotent."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(_("ISO week"), max_length=8)  # e.g. "2026-W47"
    key_result_count = models.PositiveIntegerField(_("stale key results"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in reminder")
        verbose_name_plural = _("check-in reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "week"], name="reminder_log_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.week}"
