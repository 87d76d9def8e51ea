"""Pages that belong to no single app: language switching, sign-in, errors."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from companies.models import Profile
from companies.services import profile_language_set
from core.safety import safe_redirect_target

from .ratelimit import RATE_LIMITED, LoginForm
from .signin import provider_name, sso_enabled


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
    """Django's login, plus: failed attempts are rate-limited (companies.ratelimit) and the user's saved language
    becomes the interface language."""

    redirect_authenticated_user = True
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_provider"] = provider_name() if sso_enabled() else None
        return context

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
