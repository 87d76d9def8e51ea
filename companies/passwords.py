"""Password reset by e-mail and password change: Django's own views and token generator, with our templates in
both languages, the e-mail in the recipient's language, and a rate limit (django-ratelimit's counters in the
shared cache) so the form can neither flood an inbox nor be used to probe many addresses.

A reset link is signed, expires after PASSWORD_RESET_TIMEOUT seconds and works once (the token covers the password
hash and the last sign-in, which both change when it is used). The form answers the same for known and unknown
addresses, and inactive (deactivated) people get no link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import path, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from companies.models import Profile

from .ratelimit import client_ip
from .signin import password_sign_in_refusal

logger = logging.getLogger(__name__)

RESET_LIMITED = "reset_rate_limited"


def _address_key(group: str, request) -> str:
    return client_ip(request)


def _email_key(group: str, request) -> str:
    return request.POST.get("email", "").strip().casefold()


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the e-mail goes out in the language the person chose in okrplan (their profile), or
    the language of the page they asked from. A member of a company that signs in by single sign-on only gets no
    link but an e-mail saying so (the form itself answers the same for everyone, so it reveals no account)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user = context["user"]
        language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
        with translation.override(language or translation.get_language()):
            refusal = password_sign_in_refusal(user)
            if refusal:
                subject_template_name = "registration/password_reset_sso_subject.txt"
                email_template_name = "registration/password_reset_sso_email.txt"
                context = {key: context[key] for key in ("user", "protocol", "domain")} | {"refusal": refusal}
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        return {"expiry_hours": max(1, round(settings.PASSWORD_RESET_TIMEOUT / 3600))}

    def form_valid(self, form):
        # Per address: the form says so (429). Per e-mail address: the page looks like success either way, so the
        # limit neither reveals whether an account exists nor lets anyone flood someone's inbox.
        if is_ratelimited(
            self.request,
            group="password-reset-address",
            key=_address_key,
            rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS,
            increment=True,
        ):
            form.add_error(
                None,
                auth_forms.ValidationError(
                    _("Too many reset requests from your network. Please wait an hour and try again."),
                    code=RESET_LIMITED,
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        if is_ratelimited(
            self.request,
            group="password-reset-email",
            key=_email_key,
            rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
            increment=True,
        ):
            logger.warning("Password reset e-mail not sent: rate limit for this address reached")
            return super(auth_views.PasswordResetView, self).form_valid(form)  # FormView: redirect, no e-mail
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A link sent before the person's company turned passwords off sets no password any more."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["refusal"] = password_sign_in_refusal(self.user) if self.user is not None else None
        return context

    def form_valid(self, form):
        if password_sign_in_refusal(self.user):
            return self.render_to_response(self.get_context_data(form=form), status=403)
        return super().form_valid(form)


class PasswordChangeView(LoginRequiredMixin, auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["refusal"] = password_sign_in_refusal(self.request.user)
        return context

    def form_valid(self, form):
        if password_sign_in_refusal(self.request.user):  # a password that no sign-in accepts would only mislead
            return self.render_to_response(self.get_context_data(form=form), status=403)
        response = super().form_valid(form)  # keeps this session signed in (update_session_auth_hash)
        messages.success(self.request, _("Your password has been changed."))
        return response


urlpatterns = [
    path("password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password/reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("account/password/", PasswordChangeView.as_view(), name="password_change"),
]
