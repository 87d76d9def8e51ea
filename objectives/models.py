"""The planning domain: companies and memberships, cycles, objectives, key results, check-ins and initiatives.

Models hold tables, constraints and small derived values; every state change goes through objectives.services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from okrplan.permissions import Role

ZERO = Decimal("0")
ONE = Decimal("1")


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    # Score colours: red below score_amber_from, amber below score_green_from, green from there on.
    score_amber_from = models.DecimalField(_("amber from"), max_digits=3, decimal_places=2, default=Decimal("0.40"))
    score_green_from = models.DecimalField(_("green from"), max_digits=3, decimal_places=2, default=Decimal("0.70"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="company_fiscal_month_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    score_amber_from__gt=0, score_amber_from__lt=F("score_green_from"), score_green_from__lte=1
                ),
                name="company_score_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    team = models.CharField(_("team"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"


class Profile(models.Model):
    """Per-user preferences that outlive a browser session (the language of e-mails, opt-ins)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="de")

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user}"


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
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUARTER)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent cycle")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="cycle_end_after_start"),
            models.CheckConstraint(condition=Q(state__in=["planning", "active", "closed"]), name="cycle_state_valid"),
            models.UniqueConstraint(fields=["company", "name"], name="cycle_unique_name_per_company"),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMMITTED = "committed", _("Committed")

    class Rollup(models.TextChoices):
        KEY_RESULTS = "krs", _("Key results only")
        WITH_CHILDREN = "krs_and_children", _("Key results and child objectives")

    class Team(models.TextChoices):
        COMPANY = "company", _("Company")
        MARKETING = "marketing", _("Marketing")
        SALES = "sales", _("Sales")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="objectives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objectives")
    title = models.CharField(_("title"), max_length=240)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_objectives"
    )
    # company, marketing, sales, or the name of another team
    team = models.CharField(_("team"), max_length=60, default=Team.MARKETING)
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
    title = models.CharField(_("title"), max_length=240)
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
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def progress(self) -> Decimal:
        return key_result_progress(self.kind, self.start_value, self.target_value, self.current_value)


class CheckIn(models.Model):
    """Append-only: a check-in is never edited or deleted. The key result's current value is the newest one."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    confidence = models.DecimalField(_("confidence"), max_digits=3, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    is_automatic = models.BooleanField(_("automatic"), default=False)
    created_at = models.DateTimeField(_("time"), db_index=True)

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

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Check-ins are append-only.")
        super().save(*args, **kwargs)


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
