"""The live CRM connections on the CRM import page: connect, sync now, the status of a running sync, disconnect.
Thin: forms parse, services change, the import page renders (crm/_connection.html per CRM)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.permissions import Action
from companies.tenancy import company_view
from core.errors import DomainError
from core.htmx import apply_to_form

from ..forms import CONNECT_FORMS
from ..models import CrmConnection
from ..selectors import crm_connection_items
from ..services import crm_connection_connect, crm_connection_revoke, crm_connection_sync_request
from .imports import render_import_page


def _kind(kind: str) -> str:
    if kind not in CrmConnection.Kind.values:
        raise Http404
    return kind


def _connection(request, kind: str) -> CrmConnection:
    return get_object_or_404(CrmConnection, company=request.company, kind=_kind(kind))


@company_view(Action.CRM_IMPORT)
@require_POST
def crm_connection_connect_view(request: HttpRequest, kind: str) -> HttpResponse:
    form = CONNECT_FORMS[_kind(kind)](request.POST, prefix=kind)
    if form.is_valid():
        try:
            crm_connection_connect(company=request.company, kind=kind, values=form.cleaned_data, actor=request.user)
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            label = CrmConnection.Kind(kind).label
            messages.success(request, _("%(crm)s is connected; the first sync has started.") % {"crm": label})
            return redirect("crm:crm_import", company_slug=request.company.slug)
    return render_import_page(request, connect_forms={kind: form}, status=400)


@company_view(Action.CRM_IMPORT)
@require_POST
def crm_connection_sync_view(request: HttpRequest, kind: str) -> HttpResponse:
    connection = _connection(request, kind)
    try:
        crm_connection_sync_request(connection=connection, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The sync has started."))
    return redirect("crm:crm_import", company_slug=request.company.slug)


@company_view(Action.CRM_IMPORT)
def crm_connection_status(request: HttpRequest, kind: str) -> HttpResponse:
    """The connection's part of the import page (polled while a sync runs)."""
    _kind(kind)
    item = next(i for i in crm_connection_items(request.company) if i["kind"] == kind)
    return render(request, "crm/_connection.html", {"item": item})


@company_view(Action.CRM_IMPORT)
def crm_connection_revoke_view(request: HttpRequest, kind: str) -> HttpResponse:
    connection = _connection(request, kind)
    if connection.status == CrmConnection.Status.REVOKED:
        raise Http404
    if request.method == "POST":
        crm_connection_revoke(connection=connection, actor=request.user)
        messages.success(
            request,
            _("%(crm)s is disconnected; its credentials were deleted.") % {"crm": connection.get_kind_display()},
        )
        return redirect("crm:crm_import", company_slug=request.company.slug)
    return render(request, "crm/connection_revoke.html", {"connection": connection})
