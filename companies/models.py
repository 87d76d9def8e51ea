"""Companies, memberships (with roles) and user profiles."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.safety import TitleField
from core.tenancy import CompanyManager

from .permissions import Role


class Company(models.Model):
    name = TitleField(_("name"), max_length=200)
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


class TeamKind(models.TextChoices):
    COMPANY = "company", _("Company level")
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    OTHER = "other", _("Other team")


class Team(models.Model):
    """A team of the company (Marketing, Vertrieb, Management …): members belong to one, objectives are owned by
    one. ``kind`` places it in the cascade (the company level, marketing, sales or another team): the colour of its
    objectives, the default team of a new child objective and the level of the board's OKR progress."""

    Kind = TeamKind

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams")
    name = TitleField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = [Lower("name"), "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "company", name="team_unique_name_per_company"),
            models.CheckConstraint(condition=Q(kind__in=TeamKind.values), name="team_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="team_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_backup_value(cls, *, company: Company, value: str) -> Team | None:
        """Backups made before teams were company data name a team by its text (a member's or invitation's team;
        an objective's "company", "marketing", "sales" or a name): the company's team of that name, created when
        missing, as the migration that introduced teams did (companies/migrations/_team_names.py)."""
        from .migrations._team_names import Teams  # the same rules as the migration, not a copy of them

        return Teams(cls, company.pk, settings.LANGUAGE_CODE, raw=True).get(value, objective_value=value.islower())


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    # Leaving a team when it is deleted: a member without a team is still a member (objectives PROTECT theirs).
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships", verbose_name=_("team")
    )
    # Partners only: whether they see the budget lines of their initiatives (read-only amounts); the CMO decides.
    partner_sees_budget = models.BooleanField(_("partner sees budget lines"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyManager()

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


class Invitation(models.Model):
    """An e-mail invitation to join a company with a role. The link carries a signed token of the invitation and
    its ``nonce`` (a resend draws a new one, so only the newest link works); it works once and until
    ``expires_at``."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations", verbose_name=_("team")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="de")
    nonce = models.CharField(max_length=32)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
            # One open invitation per address and company (resend it instead of inviting twice).
            models.UniqueConstraint(
                models.functions.Lower("email"),
                "company",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:

        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SignInPolicy(models.Model):
    """How people sign in to a company (single sign-on, companies/signin.py): who may join without an invitation
    (people whose verified e-mail address is at one of ``email_domains``, with ``domain_role``), and whether its
    members may still sign in with an okrplan password. A row of its own (like budget settings) so History records
    every change with the company it belongs to."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="sign_in_policy")
    # Lower-case domains separated by single spaces ("example.com example.de"): one field, one line in History.
    email_domains = models.CharField(_("e-mail domains"), max_length=1000, blank=True)
    domain_role = models.CharField(_("role of people joining by domain"), max_length=20, choices=Role.choices,
                                   default=Role.MEMBER)  # fmt: skip
    password_sign_in = models.BooleanField(_("sign-in with an okrplan password"), default=True)

    objects = CompanyManager()

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")
        constraints = [
            models.CheckConstraint(condition=Q(domain_role__in=Role.values), name="sign_in_policy_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.company}"

    @property
    def domain_list(self) -> list[str]:
        return self.email_domains.split()
