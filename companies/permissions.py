"""The permission table: what each role may do in its company. Pages, API and templates all read this module."""

from __future__ import annotations

from enum import StrEnum

from django.apps import apps
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, PermissionDenied


class Role(models.TextChoices):
    FACILITATOR = "facilitator", _("Facilitator")
    CMO = "cmo", _("CMO")
    EXECUTIVE = "executive", _("Executive")
    MEMBER = "member", _("Member")
    # Someone of another organisation (an agency) who works on some initiatives: sees only those, the key results
    # they feed and (if the CMO shares them) their budget lines. Everything else of the company is a 404 for them.
    PARTNER = "partner", _("Partner")


class Action(StrEnum):
    COMPANY_VIEW = "company_view"
    MEMBERS_VIEW = "members_view"
    MEMBERS_MANAGE = "members_manage"
    # Who joins by e-mail domain through single sign-on, and whether passwords still work (companies/signin.py).
    SIGN_IN_MANAGE = "sign_in_manage"
    CASCADE_VIEW = "cascade_view"
    CASCADE_EDIT = "cascade_edit"
    CYCLE_MANAGE = "cycle_manage"
    CHECKIN_OWN = "checkin_own"
    CHECKIN_ANY = "checkin_any"
    INITIATIVE_VIEW = "initiative_view"
    INITIATIVE_MANAGE = "initiative_manage"
    RATING_MANAGE = "rating_manage"
    INITIATIVE_RATE = "initiative_rate"
    BUDGET_VIEW = "budget_view"
    BUDGET_REQUEST = "budget_request"
    BUDGET_APPROVE = "budget_approve"
    BUDGET_APPROVE_ABOVE_THRESHOLD = "budget_approve_above_threshold"
    # Four eyes on money: the approval limit decides who may approve alone, so only executives change it.
    BUDGET_LIMITS_MANAGE = "budget_limits_manage"
    SPEND_RECORD = "spend_record"
    BOARD_VIEW = "board_view"
    KPI_REFRESH = "kpi_refresh"
    KPI_TARGETS_MANAGE = "kpi_targets_manage"
    CRM_IMPORT = "crm_import"
    # Handover SLAs between marketing and sales (sla app): reading them, and setting the rules and the calendar.
    SLA_VIEW = "sla_view"
    SLA_MANAGE = "sla_manage"
    HISTORY_VIEW = "history_view"
    COMPANY_SETTINGS = "company_settings"
    # External partners: their own area (assigned initiatives, the key results those feed, check-ins on them).
    PARTNER_WORK = "partner_work"
    PARTNERS_VIEW = "partners_view"
    PARTNERS_MANAGE = "partners_manage"
    PARTNER_BUDGET_SHARE = "partner_budget_share"
    KPI_ALERT_ACKNOWLEDGE = "kpi_alert_acknowledge"
    REVIEW_VIEW = "review_view"
    # The weekly review's decision and action log: facilitators, CMOs and executives run the meeting and keep the
    # log; every member may complete (or reopen) the actions they own.
    REVIEW_ACTIONS_MANAGE = "review_actions_manage"
    REVIEW_ACTION_COMPLETE_OWN = "review_action_complete_own"


ACTION_LABELS: dict[Action, str] = {
    Action.COMPANY_VIEW: _("See the company overview"),
    Action.MEMBERS_VIEW: _("See the members and their roles"),
    Action.MEMBERS_MANAGE: _("Invite people, change roles and teams, deactivate members"),
    Action.SIGN_IN_MANAGE: _("Choose who joins by e-mail domain and whether passwords may be used"),
    Action.CASCADE_VIEW: _("Read the OKR cascade"),
    Action.CASCADE_EDIT: _("Build and edit the cascade"),
    Action.CYCLE_MANAGE: _("Manage cycles (activate, reopen, close, carry over)"),
    Action.CHECKIN_OWN: _("Check in on own key results"),
    Action.CHECKIN_ANY: _("Check in on any key result"),
    Action.INITIATIVE_VIEW: _("See initiatives and the priority matrix"),
    Action.INITIATIVE_MANAGE: _("Manage initiatives"),
    Action.RATING_MANAGE: _("Run rating rounds"),
    Action.INITIATIVE_RATE: _("Rate initiatives while rating is open"),
    Action.BUDGET_VIEW: _("See budgets"),
    Action.BUDGET_REQUEST: _("Draft and submit budget lines"),
    Action.BUDGET_APPROVE: _("Approve budget lines up to the threshold"),
    Action.BUDGET_APPROVE_ABOVE_THRESHOLD: _("Approve budget lines above the threshold"),
    Action.BUDGET_LIMITS_MANAGE: _("Change the CMO approval limit"),
    Action.SPEND_RECORD: _("Record actual spend"),
    Action.BOARD_VIEW: _("Read the board KPI page"),
    Action.KPI_REFRESH: _("Refresh KPIs"),
    Action.KPI_TARGETS_MANAGE: _("Set the board's KPI targets"),
    Action.CRM_IMPORT: _("Import CRM data"),
    Action.SLA_VIEW: _("See the handover SLAs, their breaches and the rejected leads"),
    Action.SLA_MANAGE: _("Set the handover SLA rules and working hours"),
    Action.HISTORY_VIEW: _("See the change history"),
    Action.COMPANY_SETTINGS: _("Change company settings"),
    Action.PARTNER_WORK: _("Work on the initiatives assigned to you as a partner and check in on their key results"),
    Action.PARTNERS_VIEW: _("See the partner scorecard"),
    Action.PARTNERS_MANAGE: _("Assign partners to initiatives"),
    Action.PARTNER_BUDGET_SHARE: _("Decide whether a partner sees their initiatives' budget lines"),
    Action.KPI_ALERT_ACKNOWLEDGE: _("Acknowledge KPI alerts"),
    Action.REVIEW_VIEW: _("Read the weekly execution review"),
    Action.REVIEW_ACTIONS_MANAGE: _("Log and edit decisions and actions in the weekly review"),
    Action.REVIEW_ACTION_COMPLETE_OWN: _("Complete own actions of the weekly review"),
}

_READ = {
    Action.COMPANY_VIEW,
    Action.MEMBERS_VIEW,
    Action.CASCADE_VIEW,
    Action.INITIATIVE_VIEW,
    Action.BUDGET_VIEW,
    Action.BOARD_VIEW,
    Action.REVIEW_VIEW,
    Action.REVIEW_ACTION_COMPLETE_OWN,
    Action.SLA_VIEW,
}

# Running the cascade and the priority matrix: facilitators and CMOs alike.
_PLANNING = {
    Action.CASCADE_EDIT,
    Action.CYCLE_MANAGE,
    Action.CHECKIN_OWN,
    Action.CHECKIN_ANY,
    Action.INITIATIVE_MANAGE,
    Action.RATING_MANAGE,
    Action.INITIATIVE_RATE,
}

PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.FACILITATOR: frozenset(
        _READ
        | _PLANNING
        | {
            Action.HISTORY_VIEW,
            Action.MEMBERS_MANAGE,
            Action.PARTNERS_VIEW,
            Action.PARTNERS_MANAGE,
            Action.KPI_ALERT_ACKNOWLEDGE,
            Action.REVIEW_ACTIONS_MANAGE,
            Action.SIGN_IN_MANAGE,
            Action.SLA_MANAGE,
        }
    ),
    Role.CMO: frozenset(
        _READ
        | _PLANNING
        | {
            Action.BUDGET_REQUEST,
            Action.BUDGET_APPROVE,
            Action.SPEND_RECORD,
            Action.KPI_REFRESH,
            Action.KPI_TARGETS_MANAGE,
            Action.CRM_IMPORT,
            Action.COMPANY_SETTINGS,
            Action.MEMBERS_MANAGE,
            Action.PARTNERS_VIEW,
            Action.PARTNERS_MANAGE,
            Action.PARTNER_BUDGET_SHARE,
            Action.KPI_ALERT_ACKNOWLEDGE,
            Action.REVIEW_ACTIONS_MANAGE,
            Action.SLA_MANAGE,
        }
    ),
    Role.EXECUTIVE: frozenset(
        _READ
        | {
            Action.CHECKIN_OWN,
            Action.INITIATIVE_RATE,
            Action.BUDGET_APPROVE,
            Action.BUDGET_APPROVE_ABOVE_THRESHOLD,
            Action.BUDGET_LIMITS_MANAGE,
            Action.KPI_REFRESH,
            Action.KPI_TARGETS_MANAGE,
            Action.HISTORY_VIEW,
            Action.MEMBERS_MANAGE,
            Action.PARTNERS_VIEW,
            Action.PARTNER_BUDGET_SHARE,
            Action.KPI_ALERT_ACKNOWLEDGE,
            Action.REVIEW_ACTIONS_MANAGE,
            Action.SIGN_IN_MANAGE,
        }
    ),
    Role.MEMBER: frozenset(
        {
            Action.COMPANY_VIEW,
            Action.MEMBERS_VIEW,
            Action.CASCADE_VIEW,
            Action.INITIATIVE_VIEW,
            Action.BUDGET_VIEW,
            Action.CHECKIN_OWN,
            Action.INITIATIVE_RATE,
            Action.BUDGET_REQUEST,
            Action.REVIEW_VIEW,
            Action.REVIEW_ACTION_COMPLETE_OWN,
            # sales reps and marketers see the handover they are measured on
            Action.SLA_VIEW,
        }
    ),
    # Nothing of the company's own reads: which initiatives, key results and budget lines a partner sees is narrowed
    # to their assignments by the partner selectors (objectives.selectors.partners, budgets.selectors).
    Role.PARTNER: frozenset({Action.COMPANY_VIEW, Action.PARTNER_WORK}),
}

# Roles of outsiders: what their role does not allow answers 404, like another company's page, so a partner cannot
# even learn which pages and objects exist.
OUTSIDER_ROLES = frozenset({Role.PARTNER})


def role_names(role: str) -> str:
    """A role in both languages, "Facilitator / Moderation": how `make run` prints the demo logins and the README
    names them (pages show the name in the reader's language)."""
    names = []
    for language in ("en", "de"):
        with translation.override(language):
            name = str(Role(role).label)
        if name not in names:
            names.append(name)
    return " / ".join(names)


def can(role: str | None, action: Action | str) -> bool:
    """Whether ``role`` may perform ``action``."""
    if role is None:
        return False
    return Action(action) in PERMISSIONS.get(role, frozenset())


def require(role: str | None, action: Action | str) -> None:
    """Raise :class:`core.errors.PermissionDenied` unless ``role`` may perform ``action``."""
    if not can(role, action):
        if role in OUTSIDER_ROLES:
            raise NotFound()
        raise PermissionDenied(
            _("Your role does not allow this: %(action)s.") % {"action": ACTION_LABELS[Action(action)]}
        )


def allowed_actions(role: str | None) -> dict[str, bool]:
    """A dict of every action name to a bool, for templates: ``{% if can.cascade_edit %}``."""
    return {action.value: can(role, action) for action in Action}


def role_of(actor, company) -> str | None:
    """The actor's role in ``company`` (None when not a member). Cached on the user object per company."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    cache = actor.__dict__.setdefault("_okrplan_roles", {})
    if company.pk not in cache:
        # By name: models.py imports Role from this module.
        membership = apps.get_model("companies", "Membership")
        cache[company.pk] = (
            membership.objects.filter(user=actor, company=company).values_list("role", flat=True).first()
        )
    return cache[company.pk]


def require_actor(actor, company, action: Action | str) -> None:
    """Services call this: the acting user must hold ``action`` in ``company``.

    ``actor=None`` is the system itself (Celery tasks, management commands, data imports run by an operator);
    superusers act through the Django admin. Both pass; everyone else goes through the permission table.
    """
    if actor is None or getattr(actor, "is_superuser", False):
        return
    require(role_of(actor, company), action)


# Who may grant (and take away) which role: money roles are guarded like money. Executives change every role; a
# CMO every role but executive; a facilitator only facilitator and member. Nobody changes their own role.
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.EXECUTIVE: frozenset(Role.values),
    Role.CMO: frozenset({Role.CMO, Role.FACILITATOR, Role.MEMBER, Role.PARTNER}),
    Role.FACILITATOR: frozenset({Role.FACILITATOR, Role.MEMBER, Role.PARTNER}),
    Role.MEMBER: frozenset(),
    Role.PARTNER: frozenset(),
}
