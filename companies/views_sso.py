"""The two pages of single sign-on: the sign-in button posts to ``sso_start``, which sends the browser to the
OpenID provider; the provider sends it back to ``sso_callback``. Thin: companies.sso talks to the provider,
companies.signin decides who the person is. Whatever goes wrong (provider down, misconfigured, a refused person,
a cancelled sign-in) ends on a page that says so, never a 500."""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .accounts import _set_language_cookie
from .models import Profile
from .signin import provider_name, sso_enabled
from .sso import ProviderUnavailable, forget_provider_configuration, provider_configuration

logger = logging.getLogger(__name__)


def _problem(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    context = {"title": title, "message": message, "provider": provider_name()}
    return render(request, "registration/sso_problem.html", context, status=status)


def _unreachable(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        _("%(provider)s cannot be reached") % {"provider": provider_name()},
        _("okrplan could not reach the sign-in service %(provider)s, or it answered in a way okrplan does not "
          "understand. Try again in a few minutes. If it keeps happening, tell your administrator: the single "
          "sign-on settings (OIDC_ISSUER) may be wrong.") % {"provider": provider_name()},
        503,
    )  # fmt: skip


@method_decorator(csrf_protect, name="dispatch")
class SingleSignOnStartView(OIDCAuthenticationRequestView):
    """POST from the sign-in page (a form, so a third-party page cannot start a sign-in in someone's browser)."""

    http_method_names = ["post"]

    def __init__(self, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)  # the endpoints come from discovery in post()

    def post(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404(_("Single sign-on is not set up for this okrplan installation."))
        try:
            configuration = provider_configuration()
        except ProviderUnavailable:
            return _unreachable(request)
        self.OIDC_OP_AUTH_ENDPOINT = configuration["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return self.get(request)  # mozilla-django-oidc: state, nonce and PKCE into the session, then redirect

    def get_extra_params(self, request: HttpRequest) -> dict:
        return {"ui_locales": request.LANGUAGE_CODE}


class SingleSignOnCallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404(_("Single sign-on is not set up for this okrplan installation."))
        try:
            return super().get(request)
        except ProviderUnavailable:
            return _unreachable(request)
        except (requests.RequestException, ValueError) as exc:
            logger.warning("single sign-on failed at the provider: %s", exc)
            forget_provider_configuration()
            return _unreachable(request)
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError) as exc:
            # A token or key set that does not verify or is not shaped as the standard says (no id_token, a key
            # set without "keys" ...): the sign-in is not trusted, and the page says so instead of a server error.
            logger.warning("single sign-on answer rejected: %r", exc, exc_info=not isinstance(exc, SuspiciousOperation))
            forget_provider_configuration()
            return _problem(
                request,
                _("Sign-in not completed"),
                _("okrplan could not confirm this sign-in with %(provider)s (it may have taken too long, or the page "
                  "was opened twice). Please start again.") % {"provider": provider_name()},
                400,
            )  # fmt: skip

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, "sso_refusal", None)
        if refusal:
            return _problem(self.request, _("No access to okrplan"), refusal, 403)
        if self.request.GET.get("error"):
            message = _("The sign-in with %(provider)s was cancelled or refused there. You can start again.")
        else:
            message = _("okrplan could not complete the sign-in with %(provider)s. Please start again.")
        return _problem(self.request, _("Sign-in not completed"), message % {"provider": provider_name()}, 400)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        language = Profile.objects.filter(user=self.user).values_list("language", flat=True).first()
        if language:
            _set_language_cookie(response, language)
        return response
