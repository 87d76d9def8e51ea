"""The members page (who is who; invite, change role and team, deactivate) and accepting an invitation.

Thin: forms parse, companies.services decides. A refused change shows its reason on the page and changes nothing;
PermissionDenied and Conflict are answered by the site's error mapping (403/409)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import error_messages
from core.people import display_name
from core.tenancy import company_from_request

from . import selectors, services, signin
from .models import Invitation, Membership, Team
from .permissions import GRANTABLE_ROLES, Action, Role, can
from .tenancy import company_view


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.MEMBER)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False, empty_label=gettext_lazy("No team")
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the invitation"), choices=settings.LANGUAGES)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(company=company)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(company=company)


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    kind = forms.ChoiceField(
        label=gettext_lazy("Place in the cascade"),
        choices=Team.Kind.choices,
        initial=Team.Kind.OTHER,
        help_text=gettext_lazy("Gives its objectives their colour and the default team of their child objectives."),
    )


class AccountForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput(render_value=False))
    password2 = forms.CharField(label=gettext_lazy("Repeat password"), widget=forms.PasswordInput(render_value=False))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class SignInPolicyForm(forms.Form):
    email_domains = forms.CharField(
        label=gettext_lazy("E-mail domains that may join"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy(
            "People whose verified address at your single sign-on provider ends in one of these domains join without "
            "an invitation at their first sign-in. Separate several domains with spaces. Leave empty to admit invited "
            "people only."
        ),
    )
    domain_role = forms.ChoiceField(label=gettext_lazy("Their role"), choices=Role.choices, initial=Role.MEMBER)
    password_sign_in = forms.BooleanField(
        label=gettext_lazy("Members may also sign in with an okrplan password"),
        required=False,
        help_text=gettext_lazy(
            "Turned off, members of this company sign in with single sign-on only; their passwords and password "
            "reset no longer work."
        ),
    )


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _members_context(
    request: HttpRequest,
    invite_form: InviteForm | None = None,
    sign_in_form: SignInPolicyForm | None = None,
    team_form: TeamForm | None = None,
) -> dict:
    company = company_from_request(request)
    manage = can(request.membership.role, Action.MEMBERS_MANAGE)
    grantable = GRANTABLE_ROLES.get(request.membership.role, frozenset())
    members = list(
        Membership.objects.for_company(company)
        .select_related("user", "team")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    rows = [
        {
            "membership": m,
            "may_edit": manage and m.user_id != request.user.pk and m.role in grantable,
            "form": MembershipForm(initial={"role": m.role, "team": m.team_id}, prefix=f"m{m.pk}", company=company),
        }
        for m in members
    ]
    invitations = []
    if manage:
        invitations = list(
            Invitation.objects.for_company(company)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by", "team")
            .order_by("email")
        )
    form = invite_form or InviteForm(initial={"language": request.LANGUAGE_CODE}, company=company)
    form.fields["role"].choices = [(v, label) for v, label in Role.choices if v in grantable]
    teams = list(selectors.team_list(company=company))
    # the chooser reads the list above instead of querying the teams once more
    form.fields["team"].choices = [("", _("No team")), *((t.pk, t.name) for t in teams)]
    manage_sign_in = can(request.membership.role, Action.SIGN_IN_MANAGE)
    if manage_sign_in and sign_in_form is None:
        policy = signin.sign_in_policy(company)
        sign_in_form = SignInPolicyForm(
            initial={
                "email_domains": policy.email_domains,
                "domain_role": policy.domain_role,
                "password_sign_in": policy.password_sign_in,
            }
        )
    if sign_in_form is not None:
        sign_in_form.fields["domain_role"].choices = [(v, label) for v, label in Role.choices if v in grantable]
    return {
        "sign_in_form": sign_in_form if manage_sign_in else None,
        "sso_enabled": signin.sso_enabled(),
        "sso_provider": signin.provider_name() if signin.sso_enabled() else "",
        "rows": rows,
        "invitations": invitations,
        "invite_form": form if manage else None,
        "grantable_roles": [(v, label) for v, label in Role.choices if v in grantable],
        "teams": teams,
        "team_form": (team_form or TeamForm()) if manage else None,
        "team_kinds": Team.Kind.choices,
        "manage": manage,
        "now": timezone.now(),
        "valid_days": settings.INVITATION_VALID_FOR.days,
    }


@company_view(Action.MEMBERS_VIEW)
def members(request: HttpRequest) -> HttpResponse:
    return render(request, "companies/members.html", _members_context(request))


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def member_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST, company=request.company)
    form.fields["role"].choices = Role.choices
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                company=request.company,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                language=form.cleaned_data["language"],
                actor=request.user,
                base_url=_base_url(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("members", company_slug=request.company.slug)
    return render(request, "companies/members.html", _members_context(request, form), status=400)


@require_POST
@company_view(Action.SIGN_IN_MANAGE)
def sign_in_policy(request: HttpRequest) -> HttpResponse:
    """Who joins by e-mail domain through single sign-on, with which role, and whether passwords still work."""
    form = SignInPolicyForm(request.POST)
    form.fields["domain_role"].choices = Role.choices
    if form.is_valid():
        try:
            signin.sign_in_policy_update(
                company=request.company,
                actor=request.user,
                email_domains=form.cleaned_data["email_domains"],
                domain_role=form.cleaned_data["domain_role"],
                password_sign_in=form.cleaned_data["password_sign_in"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Sign-in settings saved."))
            return redirect("members", company_slug=request.company.slug)
    return render(request, "companies/members.html", _members_context(request, sign_in_form=form), status=400)


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def member_update(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = Membership.objects.select_related("user").get_for_company_or_404(request.company, pk=membership_id)
    form = MembershipForm(request.POST, prefix=f"m{membership.pk}", company=request.company)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("members", company_slug=request.company.slug)
    try:
        services.membership_update(
            membership=membership, actor=request.user, role=form.cleaned_data["role"], team=form.cleaned_data["team"]
        )
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s: role and team saved.") % {"name": display_name(membership.user)})
    return redirect("members", company_slug=request.company.slug)


@company_view(Action.MEMBERS_MANAGE)
def member_deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    """GET asks (an irreversible step gets its own confirmation, with or without JavaScript); POST does it."""
    membership = Membership.objects.select_related("user").get_for_company_or_404(request.company, pk=membership_id)
    name = display_name(membership.user)
    if request.method != "POST":
        return render(request, "companies/member_deactivate.html", {"name": name})
    try:
        services.membership_deactivate(membership=membership, actor=request.user)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s was deactivated: no more access to %(company)s. Their objectives and history keep their name.")
            % {"name": name, "company": request.company.name},
        )
    return redirect("members", company_slug=request.company.slug)


def _company_team(request: HttpRequest, team_id: int) -> Team:
    return Team.objects.select_related("company").get_for_company_or_404(request.company, pk=team_id)


def _members_url(request: HttpRequest) -> str:
    return reverse("members", kwargs={"company_slug": request.company.slug}) + "#teams"


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = services.team_create(
                company=request.company, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                actor=request.user,
            )  # fmt: skip
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” added.") % {"name": team.name})
            return redirect(_members_url(request))
    return render(request, "companies/members.html", _members_context(request, team_form=form), status=400)


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def team_update(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _company_team(request, team_id)
    form = TeamForm(request.POST, prefix=f"t{team.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_members_url(request))
    try:
        team = services.team_update(
            team=team, actor=request.user, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
        )
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
    return redirect(_members_url(request))


@company_view(Action.MEMBERS_MANAGE)
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    """GET asks (with what the team is still used for, and why it may stay); POST deletes."""
    team = _company_team(request, team_id)
    if request.method != "POST":
        return render(request, "companies/team_delete.html", {"team": team, "usage": services.team_usage(team)})
    try:
        services.team_delete(team=team, actor=request.user)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
    return redirect(_members_url(request))


def _company_invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    return Invitation.objects.get_for_company_or_404(request.company, pk=invitation_id)


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = services.invitation_resend(
        invitation=_company_invitation(request, invitation_id), actor=request.user, base_url=_base_url(request)
    )
    messages.success(request, _("Invitation sent again to %(email)s; the earlier link no longer works.") % {
        "email": invitation.email
    })  # fmt: skip
    return redirect("members", company_slug=request.company.slug)


@require_POST
@company_view(Action.MEMBERS_MANAGE)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = services.invitation_revoke(invitation=_company_invitation(request, invitation_id), actor=request.user)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("members", company_slug=request.company.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the e-mail. Signed in with the invited address: join. An account with that address exists:
    sign in first. Nobody has the address yet: create an account (username, name, password) and join."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        raise Http404(_("This invitation link is not valid: it may have been replaced by a newer one."))
    context = {"invitation": invitation, "inviter": services._inviter(invitation)}
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= timezone.now():
        if invitation.accepted_at and request.user.is_authenticated and invitation.accepted_by_id == request.user.pk:
            return redirect("company_home", company_slug=invitation.company.slug)
        return render(request, "companies/invitation_closed.html", context, status=410)
    existing = get_user_model().objects.filter(email__iexact=invitation.email, is_active=True).exists()
    if request.user.is_authenticated:
        if request.method == "POST":
            services.invitation_accept(invitation=invitation, user=request.user)
            messages.success(request, _("Welcome to %(company)s.") % {"company": invitation.company.name})
            return redirect("company_home", company_slug=invitation.company.slug)
        mismatch = request.user.email.strip().casefold() != invitation.email.casefold()
        return render(request, "companies/invitation_join.html", {**context, "mismatch": mismatch})
    if existing:
        return render(request, "companies/invitation_sign_in.html", context)
    if signin.password_sign_in_off(invitation.company):  # no password to choose: the first single sign-on joins
        return render(request, "companies/invitation_sso.html", {**context, "provider": signin.provider_name()})
    form = AccountForm(request.POST or None, initial={"username": invitation.email.split("@")[0]})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_create_from_invitation(
                invitation=invitation,
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(company)s.") % {"company": invitation.company.name})
            response = redirect("company_home", company_slug=invitation.company.slug)
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "companies/invitation_account.html", {**context, "form": form}, status=status)
