"""CRM import pages: upload, the wizard (columns, sample rows, date order, confirmation), progress and the error
report. Thin: forms parse, services change, templates render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.permissions import Action
from companies.tenancy import company_view
from core.errors import DomainError
from core.htmx import apply_to_form

from ..forms import CrmImportForm
from ..models import ColumnMapping, CrmImport, CrmKind
from ..reader import FIELDS, PRESETS
from ..selectors import crm_connection_items
from ..services import (
    crm_import_confirm,
    crm_import_create,
    crm_import_discard,
    crm_import_max_bytes,
    crm_import_progress,
)
from ..sources import settings_page
from ..wizard import build_preview, columns_from_form, forget_scan, scan_file


def _presets() -> list[dict]:
    labels = dict(CrmImport.Source.choices)
    specs = {kind: {s.name: s for s in specs} for kind, specs in FIELDS.items()}
    return [
        {
            "source": labels[source],
            "kind": CrmKind(kind).label,
            "columns": [
                (" / ".join((column,) if isinstance(column, str) else column), specs[kind][field].required)
                for field, column in columns.items()
            ],
        }
        for (source, kind), columns in PRESETS.items()
    ]


@company_view(Action.CRM_IMPORT)
def crm_import_page(request: HttpRequest) -> HttpResponse:
    company = request.company
    form = CrmImportForm(request.POST or None, request.FILES or None, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = crm_import_create(
                company=company,
                kind=data["kind"],
                source=data["source"],
                mapping=data["mapping"],
                uploaded_file=data["file"],
                actor=request.user,
                draft=True,
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            return redirect("crm:crm_import_detail", company_slug=company.slug, pk=job.pk)
    return render_import_page(request, form=form, status=400 if form.errors else 200)


def render_import_page(request: HttpRequest, *, form=None, connect_forms: dict | None = None, status: int = 200):
    """The import page: upload form, live CRM connections, saved mappings, recent imports (the connection views
    render it too, with their bound form when it has errors)."""
    company = request.company
    form = form or CrmImportForm(company=company)
    imports = CrmImport.objects.filter(company=company).select_related("created_by", "mapping")[:20]
    context = {
        "connections": crm_connection_items(company, connect_forms),
        "form": form,
        "imports": imports,
        "mappings": ColumnMapping.objects.filter(company=company).order_by("name"),
        "max_mb": crm_import_max_bytes() // (1024 * 1024),
        "max_bytes": crm_import_max_bytes(),
        "presets": _presets(),
        "kinds": CrmKind.choices,
        "settings_page": _settings_link(company),
    }
    return render(request, "crm/import.html", context, status=status)


def _settings_link(company) -> dict | None:
    page = settings_page()
    return {"url": reverse(page[0], args=[company.slug]), "label": page[1]} if page else None


def _job_context(request, pk: int) -> dict:
    job = get_object_or_404(CrmImport.objects.select_related("created_by", "mapping"), company=request.company, pk=pk)
    return {"job": job, "progress": crm_import_progress(job)}


@company_view(Action.CRM_IMPORT)
def crm_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _job_context(request, pk)
    if context["job"].status == CrmImport.Status.DRAFT:
        context["preview"] = build_preview(job=context["job"])
    return render(request, "crm/detail.html", context)


def _draft(request, pk: int) -> CrmImport:
    return get_object_or_404(
        CrmImport.objects.select_related("company", "mapping"),
        company=request.company,
        pk=pk,
        status=CrmImport.Status.DRAFT,
    )


def _posted_preview(request, job: CrmImport):
    """The wizard as posted: the columns chosen in its selects and the date order."""
    header = scan_file(job).header
    columns, twice = columns_from_form(header, request.POST)
    preview = build_preview(job=job, columns=columns, date_order=request.POST.get("date_order", ""))
    labels = dict(preview.choices)
    preview.errors[:0] = [
        _("“%(field)s” is chosen for more than one column.") % {"field": labels.get(name, name)} for name in twice
    ]
    return preview


@require_POST
@company_view(Action.CRM_IMPORT)
def crm_import_wizard(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the wizard again after a column's field or the date order changed (nothing is saved)."""
    preview = _posted_preview(request, _draft(request, pk))
    return render(request, "crm/_wizard.html", {"preview": preview, "job": preview.job})


@require_POST
@company_view(Action.CRM_IMPORT)
def crm_import_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _draft(request, pk)
    preview = _posted_preview(request, job)
    if not preview.errors:
        try:
            crm_import_confirm(job=job, columns=preview.columns, date_order=preview.date_order, actor=request.user)
        except ValidationError as exc:
            preview.errors.extend(exc.messages)
        except DomainError as exc:
            preview.errors.append(str(exc))
        else:
            messages.success(request, _("The import has started; the column mapping is kept for the next file."))
            return redirect("crm:crm_import_detail", company_slug=request.company.slug, pk=job.pk)
    context = {**_job_context(request, pk), "preview": preview}
    template = "crm/_wizard.html" if request.htmx else "crm/detail.html"
    return render(request, template, context, status=400)


@require_POST
@company_view(Action.CRM_IMPORT)
def crm_import_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _draft(request, pk)
    forget_scan(job)
    crm_import_discard(job=job, actor=request.user)
    messages.success(
        request, _("The upload “%(name)s” was discarded; nothing was imported.") % {"name": job.original_name}
    )
    return redirect("crm:crm_import", company_slug=request.company.slug)


@company_view(Action.CRM_IMPORT)
def crm_import_progress_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "crm/_progress.html", _job_context(request, pk))
