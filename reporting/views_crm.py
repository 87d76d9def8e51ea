"""CRM import pages (upload, progress, error report, saved column mappings) and the reporting settings with the
KPI bindings. Thin: forms parse, services change, templates render."""

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
from core.safety import parse_id
from objectives.models import Cycle, KeyResult

from .crm_import import FIELDS, PRESETS
from .crm_wizard import build_preview, columns_from_form, forget_scan, scan_file
from .forms_crm import ColumnMappingForm, CrmImportForm, ReportingSettingsForm
from .kpis import KPIS, reporting_settings
from .models import DEFAULT_OTHER_SOURCES, DEFAULT_SALES_SOURCES, ColumnMapping, CrmImport, CrmKind, KpiBinding
from .services_crm import (
    column_mapping_delete,
    column_mapping_save,
    crm_import_confirm,
    crm_import_create,
    crm_import_discard,
    crm_import_max_bytes,
    crm_import_progress,
    kpi_binding_create,
    kpi_binding_delete,
    reporting_settings_update,
)


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
            return redirect("reporting:crm_import_detail", company_slug=company.slug, pk=job.pk)
    imports = CrmImport.objects.filter(company=company).select_related("created_by", "mapping")[:20]
    context = {
        "form": form,
        "imports": imports,
        "mappings": ColumnMapping.objects.filter(company=company).order_by("name"),
        "max_mb": crm_import_max_bytes() // (1024 * 1024),
        "max_bytes": crm_import_max_bytes(),
        "presets": _presets(),
        "kinds": CrmKind.choices,
    }
    return render(request, "reporting/crm/import.html", context, status=400 if form.errors else 200)


def _job_context(request, pk: int) -> dict:
    job = get_object_or_404(CrmImport.objects.select_related("created_by", "mapping"), company=request.company, pk=pk)
    return {"job": job, "progress": crm_import_progress(job)}


@company_view(Action.CRM_IMPORT)
def crm_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _job_context(request, pk)
    if context["job"].status == CrmImport.Status.DRAFT:
        context["preview"] = build_preview(job=context["job"])
    return render(request, "reporting/crm/detail.html", context)


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
    return render(request, "reporting/crm/_wizard.html", {"preview": preview, "job": preview.job})


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
            return redirect("reporting:crm_import_detail", company_slug=request.company.slug, pk=job.pk)
    context = {**_job_context(request, pk), "preview": preview}
    template = "reporting/crm/_wizard.html" if request.htmx else "reporting/crm/detail.html"
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
    return redirect("reporting:crm_import", company_slug=request.company.slug)


@company_view(Action.CRM_IMPORT)
def crm_import_progress_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "reporting/crm/_progress.html", _job_context(request, pk))


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
            return redirect("reporting:crm_import", company_slug=company.slug)
    context = {"form": form, "mapping": mapping, "kind": kind, "kind_label": CrmKind(kind).label,
               "kinds": CrmKind.choices}  # fmt: skip
    return render(request, "reporting/crm/mapping_form.html", context, status=400 if form.errors else 200)


@company_view(Action.CRM_IMPORT)
def crm_mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = get_object_or_404(ColumnMapping, company=request.company, pk=pk)
    if request.method == "POST":
        column_mapping_delete(mapping=mapping, actor=request.user)
        messages.success(request, _("The column mapping “%(name)s” was deleted.") % {"name": mapping.name})
        return redirect("reporting:crm_import", company_slug=request.company.slug)
    return render(request, "reporting/crm/mapping_delete.html", {"mapping": mapping})


# ----------------------------------------------------------------------------------------- settings and bindings


def _bindable_key_results(company):
    return (
        KeyResult.objects.filter(company=company)
        .exclude(objective__cycle__state=Cycle.State.CLOSED)
        .select_related("objective__cycle")
        .order_by("-objective__cycle__start_date", "objective__position", "position", "id")
    )


@company_view(Action.BOARD_VIEW)
def reporting_settings_page(request: HttpRequest) -> HttpResponse:
    company = request.company
    current = reporting_settings(company)
    form = ReportingSettingsForm(
        request.POST or None,
        initial={
            "qualified_stage": current.qualified_stage,
            "focus_segments": ", ".join(current.focus_segments or []),
            "attribution_half_life_days": current.attribution_half_life_days,
            "sales_sources": ", ".join(current.sales_sources or []),
            "other_sources": ", ".join(current.other_sources or []),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            reporting_settings_update(
                company=company,
                actor=request.user,
                qualified_stage=form.cleaned_data["qualified_stage"],
                focus_segments=form.split(form.cleaned_data["focus_segments"]),
                attribution_half_life_days=form.cleaned_data["attribution_half_life_days"],
                sales_sources=form.split(form.cleaned_data["sales_sources"]),
                other_sources=form.split(form.cleaned_data["other_sources"]),
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("The reporting settings were saved."))
            return redirect("reporting:reporting_settings", company_slug=company.slug)
    bindings = (
        KpiBinding.objects.filter(company=company)
        .select_related("key_result__objective__cycle")
        .order_by("kpi_key", "key_result__title")
    )
    context = {
        "form": form,
        "bindings": [(b, KPIS[b.kpi_key].label if b.kpi_key in KPIS else b.kpi_key) for b in bindings],
        "kpis": [(key, d.label) for key, d in KPIS.items()],
        "key_results": _bindable_key_results(company),
        "default_sales_sources": ", ".join(DEFAULT_SALES_SOURCES),
        "default_other_sources": ", ".join(DEFAULT_OTHER_SOURCES),
    }
    return render(request, "reporting/crm/settings.html", context, status=400 if form.errors else 200)


def _settings_url(company) -> str:
    return reverse("reporting:reporting_settings", kwargs={"company_slug": company.slug})


@require_POST
@company_view(Action.CASCADE_EDIT)
def kpi_binding_add(request: HttpRequest) -> HttpResponse:
    company = request.company
    key_result = get_object_or_404(_bindable_key_results(company), pk=parse_id(request.POST.get("key_result")) or 0)
    kpi_binding_create(company=company, kpi_key=request.POST.get("kpi_key", ""), key_result=key_result,
                       actor=request.user)  # fmt: skip
    messages.success(request, _("The key result now tracks the KPI."))
    return redirect(_settings_url(company) + "#bindings")


@require_POST
@company_view(Action.CASCADE_EDIT)
def kpi_binding_remove(request: HttpRequest, pk: int) -> HttpResponse:
    binding = get_object_or_404(KpiBinding, company=request.company, pk=pk)
    kpi_binding_delete(binding=binding, actor=request.user)
    messages.success(request, _("The binding was removed."))
    return redirect(_settings_url(request.company) + "#bindings")
