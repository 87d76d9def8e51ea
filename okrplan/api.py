"""Cross-cutting API code: the one exception handler and the company-scoped base for every endpoint."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, concurrency_conflict
from .permissions import Action, require
from .tenancy import membership_for


def validation_error_dict(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        data = {}
        for field, errors in exc.message_dict.items():
            data["non_field_errors" if field == NON_FIELD_ERRORS else field] = errors
        return data
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """Map Django ValidationError → 400 with field errors, DomainError → its status, a deadlock or serialization
    failure → 409 with a retry message; the rest as DRF does."""
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_dict(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    conflict = concurrency_conflict(exc)
    if conflict is not None:
        return Response(conflict.as_dict(), status=conflict.status)
    return drf_exception_handler(exc, context)


class IdFilter(django_filters.NumberFilter):
    """A filter on an id: a whole number in the database's id range, else 400 (a float or a 40-digit number would
    reach the database and fail there with a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class CompanyPermission(permissions.BasePermission):
    """Resolves the company from the URL (404 for non-members) and checks the view's required action.

    A view declares ``required_actions = {"list": Action.X, "create": Action.Y, ...}`` keyed by DRF action (or
    HTTP method in lower case for plain APIViews); ``"*"`` is the fallback.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        slug = view.kwargs.get("company_slug")
        if slug is None:
            raise Http404
        membership = membership_for(request.user, slug)
        view.membership = membership
        view.company = membership.company
        key = getattr(view, "action", None) or request.method.lower()
        actions = getattr(view, "required_actions", {})
        action = actions.get(key, actions.get("*", Action.COMPANY_VIEW))
        if action is not None:
            require(membership.role, action)
        return True


class CompanyScopedMixin:
    """Base for company endpoints: ``self.company`` and ``self.membership`` are set before the handler runs."""

    permission_classes = [permissions.IsAuthenticated, CompanyPermission]
    company = None
    membership = None
