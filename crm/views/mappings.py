"""Pages of the saved column mappings (for CRMs without a preset): create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from companies.permissions import Action
from companies.tenancy import company_view

from ..forms import ColumnMappingForm
from ..models import ColumnMapping, CrmKind
from ..services import column_mapping_delete, column_mapping_save


@company_view(Action.CRM_IMPORT)
def crm_mapping_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = request.company
    mapping = get_object_or_404(ColumnMapping, company=company, pk=pk) if pk else None
    kind = mapping.kind if mapping else request.GET.get("kind", CrmKind.LEADS)
    if kind not in CrmKind.values:
        kind = CrmKind.LEADS
    initial = {}
    if mapping:
        initial = {"name": mapping.name, **{f"col_{field}": column for field, column in mapping.columns.items()}}
    form = ColumnMappingForm(request.POST or None, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            column_mapping_save(
                company=company,
                name=form.cleaned_data["name"],
                kind=kind,
                columns=form.columns(),
                actor=request.user,
                mapping=mapping,
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict if hasattr(exc, "error_dict") else {"name": exc.messages})
        else:
            messages.success(request, _("The column mapping was saved."))
            return redirect("crm:crm_import", company_slug=company.slug)
    context = {"form": form, "mapping": mapping, "kind": kind, "kind_label": CrmKind(kind).label,
               "kinds": CrmKind.choices}  # fmt: skip
    return render(request, "crm/mapping_form.html", context, status=400 if form.errors else 200)


@company_view(Action.CRM_IMPORT)
def crm_mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = get_object_or_404(ColumnMapping, company=request.company, pk=pk)
    if request.method == "POST":
        column_mapping_delete(mapping=mapping, actor=request.user)
        messages.success(request, _("The column mapping “%(name)s” was deleted.") % {"name": mapping.name})
        return redirect("crm:crm_import", company_slug=request.company.slug)
    return render(request, "crm/mapping_delete.html", {"mapping": mapping})
