"""The tenancy base: every domain row belongs to a company, and a request only ever sees its own company's rows.

- ``CompanyQuerySet`` / ``CompanyManager``: a model's default manager (``objects = CompanyManager()``) gets
  ``.for_company(company)`` and ``.get_for_company_or_404(company, **lookup)``; another company's row is a 404,
  never a 403 that reveals it exists.
- ``for_company`` / ``get_for_company_or_404``: the same for any model or queryset that has a ``company`` field,
  also of apps whose models do not use the manager yet.
- ``company_from_request``: the company the request works in (set by ``companies.tenancy.company_view`` on pages
  and ``companies.api.CompanyPermission`` in the API); a 404 when there is none.

Imports no app: the company is whatever the model's ``company`` field points at.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

M = TypeVar("M", bound=models.Model)


def _company_key(company: Any) -> Any:
    if company is None:
        # Filtering by ``company=None`` would match nothing here but rows without a company elsewhere: a view that
        # lost its company is a bug to see, not an empty page.
        raise TypeError("A company is required to scope a query.")
    return getattr(company, "pk", company)


class CompanyQuerySet(models.QuerySet):
    """A queryset of rows that belong to a company (through ``company_field``, "company" by default)."""

    company_field = "company"

    def for_company(self, company) -> CompanyQuerySet:
        """The rows of ``company`` (a Company or its id)."""
        return self.filter(**{self.company_field: _company_key(company)})

    def get_for_company_or_404(self, company, **lookup):
        """The one row of ``company`` matching ``lookup``; Http404 when it does not exist or is another company's."""
        return get_object_or_404(self.for_company(company), **lookup)

    def first_for_company(self, company, **lookup):
        """The first row of ``company`` matching ``lookup``, or None (another company's row reads as None)."""
        return self.for_company(company).filter(**lookup).first()


class CompanyManager(models.Manager.from_queryset(CompanyQuerySet)):
    """Default manager of a company-owned model: ``Model.objects.for_company(company)``."""


def _queryset(model_or_queryset: type[M] | models.QuerySet) -> models.QuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    return model_or_queryset._default_manager.all()


def for_company(model_or_queryset: type[M] | models.QuerySet, company, *, field: str = "company") -> models.QuerySet:
    """The rows of ``company`` in a model or queryset with a ``field`` (default "company") pointing at it."""
    return _queryset(model_or_queryset).filter(**{field: _company_key(company)})


def get_for_company_or_404(
    model_or_queryset: type[M] | models.QuerySet, company, *, field: str = "company", **lookup
) -> M:
    """The one row of ``company`` matching ``lookup``; Http404 when it does not exist or is another company's."""
    return get_object_or_404(for_company(model_or_queryset, company, field=field), **lookup)


def company_from_request(request) -> Any:
    """The company the request works in; Http404 when the request has none (no company in the URL, not a member)."""
    company = getattr(request, "company", None)
    if company is None:
        raise Http404(_("No such company."))
    return company
