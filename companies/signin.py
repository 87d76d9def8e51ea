"""Who may sign in, and how: the matching rules of single sign-on and each company's sign-in policy.

Single sign-on (companies/sso.py talks to the OpenID provider) hands :func:`sso_sign_in` what the provider vouches
for. The rules:

- Only a **verified** e-mail address counts (``email_verified`` true in the provider's claims). An address the
  provider has not verified is whatever its user typed in: matching it would let anyone who registers someone
  else's address at the provider take over that person's okrplan account. (django-allauth's
  ``SOCIALACCOUNT_EMAIL_AUTHENTICATION`` without its verified check would be exactly that hole.)
- An existing, active account with that address is that person (one account per address; several: refused). Their
  open invitations are accepted on the way in.
- Otherwise the person joins only by an open **invitation** to that address (the membership gets the invited role
  and team) or by an **e-mail domain** a company admits (its ``SignInPolicy``, with that company's role for such
  people). Anyone else is refused with a message saying why, and no account is created.
- A deactivated account comes back only by a new invitation: a company's domain never re-admits someone it took
  out.

A company can turn password sign-in off (``SignInPolicy.password_sign_in``): its members then sign in only with
single sign-on; the sign-in form, the admin's sign-in, password reset and password change refuse them with a
message. While the installation has no single sign-on configured, the switch has no effect (it cannot be turned
off then, and if the configuration is removed later nobody is locked out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Company, Invitation, Membership, Profile, SignInPolicy
from .permissions import Action, Role, require_actor
from .services import _check_grant, invitation_accept


class SignInRefused(DomainError):
    status = 403
    code = "sign_in_refused"


def sso_enabled() -> bool:
    """Single sign-on is configured for this installation (OIDC_ISSUER and OIDC_CLIENT_ID)."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def provider_name() -> str:
    """How the sign-in page names the provider: OIDC_PROVIDER_NAME, else the issuer's host name."""
    return settings.OIDC_PROVIDER_NAME or urlsplit(settings.OIDC_ISSUER).hostname or settings.OIDC_ISSUER


# --- E-mail domains ----------------------------------------------------------------------------------------------

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def _ascii_domain(domain: str) -> str:
    """Lower case, internationalised names in their ASCII form (müller.de → xn--mller-kva.de)."""
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def email_domain(email: str) -> str:
    return _ascii_domain(email.rpartition("@")[2]) if "@" in email else ""


def normalised_domains(text: str) -> list[str]:
    """The domains a person typed (separated by spaces, commas, semicolons or lines), each checked, without
    repeats, in the order given."""
    domains: list[str] = []
    for part in re.split(r"[\s,;]+", text or ""):
        if not part.strip():
            continue
        domain = _ascii_domain(part)
        if not _DOMAIN.match(domain):
            raise ValidationError(
                {"email_domains": _("“%(domain)s” is not a domain name like example.com.") % {"domain": part.strip()}}
            )
        if domain not in domains:
            domains.append(domain)
    return domains


# --- The policy --------------------------------------------------------------------------------------------------


def sign_in_policy(company: Company) -> SignInPolicy:
    """The company's policy; the defaults (nobody joins by domain, passwords work) while none was saved."""
    return SignInPolicy.objects.for_company(company).first() or SignInPolicy(company=company)


@transaction.atomic
def sign_in_policy_update(
    *, company: Company, actor, email_domains: str, domain_role: str, password_sign_in: bool
) -> SignInPolicy:
    """Set which e-mail domains join ``company`` by single sign-on (with ``domain_role``) and whether its members
    may still sign in with a password. Recorded in History (history.apps tracks SignInPolicy)."""
    require_actor(actor, company, Action.SIGN_IN_MANAGE)
    domains = normalised_domains(email_domains)
    _check_grant(actor, company, domain_role, field="domain_role")  # nobody hands out a role they may not give
    if domains and not sso_enabled():
        raise ValidationError(
            {"email_domains": _("Single sign-on is not set up for this okrplan installation, so nobody can join by "
                                "e-mail domain. Ask your administrator to configure it first.")}
        )  # fmt: skip
    if not password_sign_in and not sso_enabled():
        raise ValidationError(
            {"password_sign_in": _("Single sign-on is not set up for this okrplan installation: without passwords "
                                   "nobody could sign in.")}
        )  # fmt: skip
    # One save, so History shows the first policy as one "created" entry with its values.
    policy = SignInPolicy.objects.select_for_update().for_company(company).first() or SignInPolicy(company=company)
    policy.email_domains = " ".join(domains)
    policy.domain_role = domain_role
    policy.password_sign_in = bool(password_sign_in)
    policy.full_clean()
    policy.save()
    return policy


def password_sign_in_off(company: Company) -> bool:
    """``company`` signs in by single sign-on only (and single sign-on is configured)."""
    return sso_enabled() and SignInPolicy.objects.for_company(company).filter(password_sign_in=False).exists()


def password_sign_in_refusal(user) -> str | None:
    """Why ``user`` may not use a password (a company of theirs signs in by single sign-on only), else None."""
    if user is None or user.pk is None or not sso_enabled():
        return None
    company = (
        Company.objects.filter(memberships__user=user, is_active=True, sign_in_policy__password_sign_in=False)
        .order_by("name")
        .first()
    )
    if company is None:
        return None
    message = _("%(company)s signs in with single sign-on only: use “Sign in with %(provider)s” instead of a password.")
    return message % {"company": company.name, "provider": provider_name()}


class PasswordPolicyMixin:
    """For AuthenticationForm subclasses: a member of a company that turned passwords off is refused even with the
    right password (the check runs only after the password matched, so it tells nothing to a guesser)."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        refusal = password_sign_in_refusal(user)
        if refusal:
            raise forms.ValidationError(refusal, code="password_sign_in_off")


# --- Single sign-on ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What the OpenID provider says about the person signing in."""

    email: str
    email_verified: bool
    given_name: str = ""
    family_name: str = ""
    locale: str = ""

    @classmethod
    def from_claims(cls, claims: dict) -> Identity:
        verified = claims.get("email_verified")
        # Some providers send the JSON string "true"; anything else (missing, false, "false", 1) is not verified.
        verified = verified is True or (isinstance(verified, str) and verified.strip().lower() == "true")
        return cls(
            email=str(claims.get("email") or "").strip(),
            email_verified=verified,
            given_name=str(claims.get("given_name") or "").strip()[:150],
            family_name=str(claims.get("family_name") or "").strip()[:150],
            locale=str(claims.get("locale") or "").strip(),
        )


def _language(identity: Identity, invitations: list[Invitation]) -> str:
    if invitations:
        return invitations[0].language
    language = identity.locale.replace("_", "-").split("-")[0].lower()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _free_username(email: str) -> str:
    user_model = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", email.partition("@")[0])[:140] or "user"
    candidate, n = base, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def sso_sign_in(*, identity: Identity):
    """The account of the person the provider vouches for, joining companies by invitation or e-mail domain as the
    rules above say; :class:`SignInRefused` with the reason otherwise (nothing is created then)."""
    provider = provider_name()
    email = identity.email
    try:
        validate_email(email)
    except ValidationError:
        raise SignInRefused(
            _("%(provider)s did not give okrplan your e-mail address, so okrplan cannot tell who you are. Ask your "
              "administrator to share the e-mail address with okrplan.") % {"provider": provider}
        ) from None  # fmt: skip
    if not identity.email_verified:
        raise SignInRefused(
            _("%(provider)s has not verified your e-mail address %(email)s. okrplan only accepts verified addresses: "
              "confirm the address with %(provider)s, then sign in again.") % {"provider": provider, "email": email}
        )  # fmt: skip
    user_model = get_user_model()
    users = list(user_model.objects.select_for_update().filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise SignInRefused(
            _("Several okrplan accounts use the address %(email)s. Ask your administrator to give each account its "
              "own address.") % {"email": email}
        )  # fmt: skip
    user = users[0] if users else None
    invitations = list(
        Invitation.objects.select_for_update()
        .select_related("company")
        .filter(
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            company__is_active=True,
        )
        .order_by("created_at")
    )
    if user is not None and user.is_active and (user.is_staff or Membership.objects.filter(user=user).exists()):
        for invitation in invitations:
            invitation_accept(invitation=invitation, user=user)
        return user
    if user is not None and not user.is_active and not invitations:
        raise SignInRefused(
            _("Your okrplan account (%(email)s) has been deactivated. Ask someone who manages the members of your "
              "company for a new invitation.") % {"email": email}
        )  # fmt: skip
    domain = email_domain(email)
    by_domain = []
    if user is None or user.is_active:  # a deactivated person comes back by invitation only
        invited = {invitation.company_id for invitation in invitations}
        by_domain = [
            policy
            for policy in SignInPolicy.objects.select_related("company")
            .filter(company__is_active=True, email_domains__icontains=domain)
            .order_by("company__name")
            if domain in policy.domain_list and policy.company_id not in invited
        ]
    if not invitations and not by_domain:
        raise SignInRefused(
            _("%(email)s may not use okrplan yet: no company has invited this address, and none admits addresses at "
              "%(domain)s. Ask someone who manages the members of your company for an invitation.")
            % {"email": email, "domain": domain}
        )  # fmt: skip
    if user is None:
        user = user_model(
            username=_free_username(email),
            email=email,
            first_name=identity.given_name,
            last_name=identity.family_name,
        )
        user.set_unusable_password()  # signs in with single sign-on; no password to guess or reset
        user.full_clean(exclude=["password"])
        user.save()
        Profile.objects.get_or_create(user=user, defaults={"language": _language(identity, invitations)})
    for invitation in invitations:
        invitation_accept(invitation=invitation, user=user)
    for policy in by_domain:
        membership = Membership(user=user, company=policy.company, role=policy.domain_role or Role.MEMBER)
        membership.full_clean()
        membership.save()
    return user
