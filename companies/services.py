"""User preferences that outlive a browser session; members and invitations."""

from __future__ import annotations

import secrets
from functools import partial

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import Conflict, PermissionDenied
from core.people import display_name
from core.safety import normalise_title

from .models import Company, Invitation, Membership, Profile, Team
from .permissions import GRANTABLE_ROLES, Action, Role, require_actor, role_of


def profile_language_set(*, user, language: str) -> Profile:
    """Remember ``user``'s interface language (used for e-mails and at the next sign-in)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    profile, _created = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


# --- Members and invitations -------------------------------------------------------------------------------------
# Every change checks MEMBERS_MANAGE and the roles the actor may grant (permissions.GRANTABLE_ROLES), keeps at
# least one facilitator and one executive in the company, and is recorded in History (history.apps tracks
# Membership and Invitation).

INVITATION_SALT = "okrplan.companies.invitation"
UNCHANGED = object()  # a keyword left out (None means "no team")


def _grantable(actor, company) -> frozenset[str]:
    if actor is None or getattr(actor, "is_superuser", False):
        return frozenset(Role.values)
    return GRANTABLE_ROLES.get(role_of(actor, company), frozenset())


def _check_grant(actor, company, role: str, *, field: str = "role") -> None:
    if role not in Role.values:
        raise ValidationError({field: _("Unknown role.")})
    if role not in _grantable(actor, company):
        raise PermissionDenied(_("Your role may not give or take the role %(role)s.") % {"role": Role(role).label})


def _keeps_a_holder(membership: Membership, new_role: str | None) -> None:
    """The last facilitator and the last executive stay: someone must run workshops and approve what CMOs may not."""
    for role in (Role.FACILITATOR, Role.EXECUTIVE):
        if membership.role == role and new_role != role:
            others = (
                Membership.objects.select_for_update()
                .for_company(membership.company_id)
                .filter(role=role)
                .exclude(pk=membership.pk)
            )
            if not others.exists():
                raise ValidationError(
                    {
                        "role": _("%(name)s is the last %(role)s of the company: give someone else the role first.")
                        % {"name": display_name(membership.user), "role": Role(role).label}
                    }
                )


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT, compress=True)


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state; None for a forged, garbled or superseded link."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("n"), str):
        return None
    return (
        Invitation.objects.select_related("company", "invited_by")
        .filter(pk=data["i"], nonce=data["n"], company__is_active=True)
        .first()
    )


def _send_invitation(invitation_id: int, base_url: str) -> None:
    invitation = Invitation.objects.select_related("company", "invited_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "company": invitation.company,
        "inviter": display_name(invitation.invited_by) if invitation.invited_by else "okrplan",
        "link": base_url.rstrip("/") + reverse("invitation_accept", args=[invitation_token(invitation)]),
        "expiry_days": max(1, round((invitation.expires_at - invitation.sent_at).total_seconds() / 86400)),
    }
    with translation.override(invitation.language):
        subject = render_to_string("companies/invitation_subject.txt", context).strip()
        body = render_to_string("companies/invitation_email.txt", context)
    send_mail(subject, body, None, [invitation.email])


def _normalised_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    return email


@transaction.atomic
def invitation_create(
    *, company: Company, email: str, role: str, team: Team | None = None, language: str = "de", actor, base_url: str
) -> Invitation:
    """Invite ``email`` to ``company`` with ``role``; the e-mail (in ``language``) goes out once the row is saved."""
    require_actor(actor, company, Action.MEMBERS_MANAGE)
    email = _normalised_email(email)
    _check_grant(actor, company, role)
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    if Membership.objects.for_company(company).filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member of this company.") % {"email": email}})
    if Invitation.objects.filter(
        company=company, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).exists():
        raise ValidationError(
            {"email": _("%(email)s is already invited: resend that invitation instead.") % {"email": email}}
        )
    _check_team(company, team)
    now = timezone.now()
    invitation = Invitation(
        company=company,
        email=email,
        role=role,
        team=team,
        language=language,
        nonce=secrets.token_urlsafe(16),
        invited_by=actor,
        sent_at=now,
        expires_at=now + settings.INVITATION_VALID_FOR,
    )
    invitation.full_clean()
    invitation.save()
    transaction.on_commit(partial(_send_invitation, invitation.pk, base_url))
    return invitation


def _open_invitation(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise Conflict(_("This invitation has already been accepted."))
    if locked.revoked_at is not None:
        raise Conflict(_("This invitation has been revoked."))
    return locked


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor, base_url: str) -> Invitation:
    """Send the invitation again with a new link (the old one stops working) and a new expiry."""
    require_actor(actor, invitation.company, Action.MEMBERS_MANAGE)
    invitation = _open_invitation(invitation)
    _check_grant(actor, invitation.company, invitation.role)
    now = timezone.now()
    invitation.nonce = secrets.token_urlsafe(16)
    invitation.sent_at = now
    invitation.expires_at = now + settings.INVITATION_VALID_FOR
    invitation.save(update_fields=["nonce", "sent_at", "expires_at"])
    transaction.on_commit(partial(_send_invitation, invitation.pk, base_url))
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    require_actor(actor, invitation.company, Action.MEMBERS_MANAGE)
    invitation = _open_invitation(invitation)
    _check_grant(actor, invitation.company, invitation.role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """``user`` joins the company with the invited role and team; the invitation is used up."""
    invitation = _open_invitation(invitation)
    if invitation.expires_at <= timezone.now():
        raise Conflict(_("This invitation has expired. Ask %(name)s for a new one.") % {"name": _inviter(invitation)})
    if user.email.strip().casefold() != invitation.email.casefold():
        raise PermissionDenied(
            _("This invitation is for %(email)s. Sign out and sign in with that account, or ask for an invitation "
              "to your own address.") % {"email": invitation.email}
        )  # fmt: skip
    membership, _created = Membership.objects.get_or_create(
        user=user, company=invitation.company, defaults={"role": invitation.role, "team": invitation.team}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if not user.is_active:  # someone deactivated earlier, invited back
        user.is_active = True
        user.save(update_fields=["is_active"])
    return membership


def _inviter(invitation: Invitation) -> str:
    return display_name(invitation.invited_by) if invitation.invited_by else "okrplan"


@transaction.atomic
def account_create_from_invitation(
    *, invitation: Invitation, username: str, first_name: str, last_name: str, password: str
):
    """A new person accepts: their account (with the invited address and language), then the membership."""
    from .signin import password_sign_in_off  # signin builds on this module (invitations)

    if password_sign_in_off(invitation.company):
        raise ValidationError(
            {"password1": _("%(company)s signs in with single sign-on only: join by signing in there.")
             % {"company": invitation.company.name}}
        )  # fmt: skip
    user_model = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Choose a username.")})
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken. Choose another.")})
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            {"email": _("An account with this address exists already: sign in to accept the invitation.")}
        )
    user = user_model(
        username=username,
        email=invitation.email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"language": invitation.language})
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def membership_update(
    *, membership: Membership, actor, role: str | None = None, team: Team | object | None = UNCHANGED
) -> Membership:
    """Change a member's role and/or team (``team=None``: no team; leave ``team`` out to keep it)."""
    company = membership.company
    require_actor(actor, company, Action.MEMBERS_MANAGE)
    membership = Membership.objects.select_for_update().select_related("user", "company").get(pk=membership.pk)
    if role is not None and role != membership.role:
        if actor is not None and membership.user_id == actor.pk:
            raise PermissionDenied(_("You cannot change your own role: ask another member who manages members."))
        _check_grant(actor, company, membership.role)  # the role they hold now
        _check_grant(actor, company, role)  # and the one they get
        _keeps_a_holder(membership, role)
        membership.role = role
    if team is not UNCHANGED:
        _check_team(company, team)
        membership.team = team
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor) -> None:
    """Take someone out of the company at once. Their objectives, key results, approvals and history keep their
    name (those point at the account, not the membership). Without another company they cannot sign in at all any
    more: the account is made inactive (sessions stop at their next request) and their API tokens are deleted."""
    company = membership.company
    require_actor(actor, company, Action.MEMBERS_MANAGE)
    membership = Membership.objects.select_for_update().select_related("user", "company").get(pk=membership.pk)
    if actor is not None and membership.user_id == actor.pk:
        raise PermissionDenied(_("You cannot deactivate yourself: ask another member who manages members."))
    _check_grant(actor, company, membership.role)
    _keeps_a_holder(membership, None)
    user = membership.user
    membership.delete()
    if not Membership.objects.filter(user=user).exists() and not user.is_staff:
        user.is_active = False
        user.save(update_fields=["is_active"])
        apps.get_model("authtoken", "Token").objects.filter(user=user).delete()  # by name: services import no DRF
        # Sessions: Django's auth refuses an inactive user on the next request, whatever the session says.


@transaction.atomic
def membership_partner_budget_set(*, membership: Membership, sees_budget: bool, actor) -> Membership:
    """Whether a partner sees the budget lines of their initiatives (amounts read-only). The CMO decides (and the
    executives: PARTNER_BUDGET_SHARE)."""
    require_actor(actor, membership.company, Action.PARTNER_BUDGET_SHARE)
    membership = Membership.objects.select_for_update().select_related("user", "company").get(pk=membership.pk)
    if membership.role != Role.PARTNER:
        raise ValidationError(
            {"partner_sees_budget": _("%(name)s is not a partner.") % {"name": display_name(membership.user)}}
        )
    membership.partner_sees_budget = bool(sees_budget)
    membership.save(update_fields=["partner_sees_budget"])
    return membership


# --- Teams ---------------------------------------------------------------------------------------------------------
# Company data, managed by whoever manages members (MEMBERS_MANAGE). A name is unique per company whatever its case
# (the database holds that too); History records every change (history.apps tracks Team).


def _check_team(company: Company, team: Team | None, field: str = "team") -> None:
    if team is not None and team.company_id != company.pk:
        raise ValidationError({field: _("Choose one of the company's teams.")})


def _clean_name(name: str | None) -> str:
    """Spaces collapsed and trimmed, invisible characters removed ("" for a blank name)."""
    try:
        return " ".join(normalise_title(name or "").split())
    except ValidationError:
        return ""


def _team_name(company: Company, name: str, *, exclude: int | None = None) -> str:
    name = _clean_name(name)
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if len(name) > Team._meta.get_field("name").max_length:
        raise ValidationError({"name": _("A team name has at most 60 characters.")})
    if Team.objects.filter(company=company, name__iexact=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": _("There is a team named “%(name)s” already.") % {"name": name}})
    return name


def _team_kind(kind: str) -> str:
    if kind not in Team.Kind.values:
        raise ValidationError({"kind": _("Choose the company level, marketing, sales or another team.")})
    return kind


@transaction.atomic
def team_create(*, company: Company, name: str, kind: str = Team.Kind.OTHER, actor) -> Team:
    """A new team of ``company``."""
    require_actor(actor, company, Action.MEMBERS_MANAGE)
    Company.objects.select_for_update().filter(pk=company.pk).first()  # one new name at a time per company
    team = Team(company=company, name=_team_name(company, name), kind=_team_kind(kind))
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, actor, name: str | None = None, kind: str | None = None) -> Team:
    """Rename a team or change its kind; its members and objectives keep it."""
    require_actor(actor, team.company, Action.MEMBERS_MANAGE)
    Company.objects.select_for_update().filter(pk=team.company_id).first()
    team = Team.objects.select_for_update().select_related("company").get(pk=team.pk)
    changed = []
    if name is not None:
        team.name = _team_name(team.company, name, exclude=team.pk)
        changed.append("name")
    if kind is not None:
        team.kind = _team_kind(kind)
        changed.append("kind")
    if changed:
        team.full_clean()
        team.save(update_fields=changed)
    return team


def team_usage(team: Team) -> dict[str, int]:
    """What still uses the team: objectives (which keep a team from being deleted), members and open invitations
    (who are left without a team)."""
    return {
        "objectives": team.objectives.count(),
        "members": team.memberships.count(),
        "invitations": team.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).count(),
    }


@transaction.atomic
def team_delete(*, team: Team, actor) -> None:
    """Delete a team no objective belongs to (the database refuses the others too); its members and invitations are
    left without a team."""
    require_actor(actor, team.company, Action.MEMBERS_MANAGE)
    team = Team.objects.select_for_update().get(pk=team.pk)
    objectives = team.objectives.count()
    if objectives:
        raise ValidationError(
            {
                "team": ngettext(
                    "“%(name)s” is the team of %(n)s objective, so it stays. Move that objective to another team "
                    "first, or rename this team.",
                    "“%(name)s” is the team of %(n)s objectives, so it stays. Move them to another team first, or "
                    "rename this team.",
                    objectives,
                )
                % {"name": team.name, "n": objectives}
            }
        )
    # One save per row (not the foreign key's SET NULL, an UPDATE without signals), so History shows each member
    # and invitation leaving the team.
    for row in [*team.memberships.select_for_update(), *team.invitations.select_for_update()]:
        row.team = None
        row.save(update_fields=["team"])
    team.delete()


def team_for_name(*, company: Company, name: str) -> Team | None:
    """The company's team called ``name`` (case and surrounding spaces aside), or of the standard kind a value of
    earlier exports names ("company", "marketing", "sales"); None when there is none."""
    name = _clean_name(name)
    if not name:
        return None
    team = Team.objects.filter(company=company, name__iexact=name).first()
    if team is None and name.casefold() in {Team.Kind.COMPANY, Team.Kind.MARKETING, Team.Kind.SALES}:
        team = Team.objects.filter(company=company, kind=name.casefold()).order_by("pk").first()
    return team
