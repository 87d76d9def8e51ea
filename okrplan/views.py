"""Pages that belong to no single app: home, the company overview, language switching, errors."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from objectives.models import Membership, Profile
from objectives.services.profiles import profile_language_set

from .permissions import ACTION_LABELS, PERMISSIONS, Action, Role
from .ratelimit import RATE_LIMITED, LoginForm
from .safety import safe_redirect_target
from .tenancy import company_view, membership_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their (first) company; explain when they belong to none."""
    membership = (
        Membership.objects.select_related("company")
        .filter(user=request.user, company__is_active=True)
        .order_by("company__name")
        .first()
    )
    if membership is None:
        return render(request, "okrplan/no_company.html", status=200)
    return redirect("company_home", company_slug=membership.company.slug)


@company_view()
def company_home(request: HttpRequest) -> HttpResponse:
    members = (
        Membership.objects.filter(company=request.company).select_related("user").order_by("role", "user__last_name")
    )
    role = request.membership.role
    table = [
        {
            "label": ACTION_LABELS[action],
            "roles": [action in PERMISSIONS[r] for r in Role.values],
            "mine": action in PERMISSIONS[role],
        }
        for action in Action
    ]
    return render(
        request,
        "okrplan/company_home.html",
        {
            "members": members if request.membership.role != Role.MEMBER else None,
            "roles": Role.choices,
            "permission_table": table,
        },
    )


@login_required
def company_switch(request: HttpRequest, company_slug: str) -> HttpResponse:
    """Go to the same section in another company; detail pages fall back to the section or the overview."""
    membership = membership_for(request.user, company_slug)
    target = request.GET.get("section", "")
    if target:
        try:
            return redirect(reverse(target, kwargs={"company_slug": membership.company.slug}))
        except NoReverseMatch:
            pass
    return redirect("company_home", company_slug=membership.company.slug)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    """One year, same-site, and Secure in production (LANGUAGE_COOKIE_SECURE, like the session cookie)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user's choice is kept for e-mails and the next login too."""
    language = request.POST.get("language", "")
    next_url = safe_redirect_target(request, request.POST.get("next"), "/")
    response = redirect(next_url)
    if language and check_for_language(language) and language in dict(settings.LANGUAGES):
        _set_language_cookie(response, language)
        if request.user.is_authenticated:
            profile_language_set(user=request.user, language=language)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, plus: failed attempts are rate-limited (okrplan.ratelimit) and the user's saved language
    becomes the interface language."""

    redirect_authenticated_user = True
    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, RATE_LIMITED):
            response.status_code = 429
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        profile = Profile.objects.filter(user=form.get_user()).first()
        if profile:
            _set_language_cookie(response, profile.language)
        return response
