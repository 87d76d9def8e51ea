"""The reporting settings page (qualified stage, focus segments, attribution half-life, lead source lists) and the
bindings of key results to KPIs. Thin: the form parses, services change, the template renders."""

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
from core.htmx import apply_to_form
from core.safety import parse_id
from crm.sources import DEFAULT_OTHER_SOURCES, DEFAULT_SALES_SOURCES
from objectives.models import Cycle, KeyResult

from .forms import ReportingSettingsForm
from .kpis import KPIS, reporting_settings
from .models import KpiBinding
from .services_settings import kpi_binding_create, kpi_binding_delete, reporting_settings_update


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
    return render(request, "reporting/settings.html", context, status=400 if form.errors else 200)


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
