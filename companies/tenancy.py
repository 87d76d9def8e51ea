"""Tenancy: every request works inside one company the user is a member of. Anything else is a 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .models import Company, Membership
from .permissions import Action, require


def membership_for(user, company_slug: str) -> Membership:
    """The user's membership in the company with ``company_slug``; 404 when there is none."""
    if not user.is_authenticated:
        raise Http404(_("No such company."))
    membership = (
        Membership.objects.select_related("company", "user")
        .filter(user=user, company__slug=company_slug, company__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404(_("No such company."))
    return membership


def company_view(action: Action | None = Action.COMPANY_VIEW) -> Callable:
    """Decorate a view that takes ``company_slug``: resolves the membership (404 otherwise), checks ``action``
    against the permission table (403 otherwise) and sets ``request.company`` and ``request.membership``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, company_slug: str, *args, **kwargs) -> HttpResponse:
            membership = membership_for(request.user, company_slug)
            request.membership = membership
            request.company = membership.company
            if action is not None:
                require(membership.role, action)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def user_companies(user) -> list[Company]:
    if not user.is_authenticated:
        return []
    return list(Company.objects.filter(memberships__user=user, is_active=True).order_by("name"))
