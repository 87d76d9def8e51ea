"""Budget imports (spend, budget lines) and the export of lines as CSV/XLSX."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from companies.permissions import Action
from companies.tenancy import company_view
from core.errors import DomainError
from core.htmx import error_messages
from core.safety import attachment_header
from core.tenancy import company_from_request

from .. import exports, imports, selectors
from ..forms import CsvUploadForm
from .base import _cycle_from


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_VIEW)
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload spend (accounting export) or budget lines as CSV; all-or-nothing with row-level errors."""
    company = company_from_request(request)
    kind = request.POST.get("kind", "spend")
    spend_form = (
        CsvUploadForm(request.POST or None, request.FILES or None, prefix="spend")
        if kind == "spend"
        else CsvUploadForm(prefix="spend")
    )
    lines_form = (
        CsvUploadForm(request.POST or None, request.FILES or None, prefix="lines")
        if kind == "lines"
        else CsvUploadForm(prefix="lines")
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = spend_form if kind == "spend" else lines_form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if kind == "spend":
                    count = imports.spend_import_csv(company=company, upload=upload, actor=request.user)
                    message = _("%(count)s spend entries imported.") % {"count": count}
                else:
                    count = imports.budget_lines_import_csv(
                        company=company,
                        upload=upload,
                        actor=request.user,
                        default_cycle=selectors.current_cycle(company),
                    )
                    message = _("%(count)s budget lines imported.") % {"count": count}
            except imports.ImportFailed as exc:
                errors = exc.rows
                status = 400
            except (ValidationError, DomainError) as exc:
                errors = error_messages(exc)
                status = exc.status if isinstance(exc, DomainError) else 400
            else:
                messages.success(request, message)
                return redirect("budgets:queue" if kind == "lines" else "budgets:overview", company_slug=company.slug)
        else:
            status = 400
    return render(
        request,
        "budgets/import.html",
        {"spend_form": spend_form, "lines_form": lines_form, "errors": errors, "kind": kind},
        status=status,
    )


@require_GET
@company_view(Action.BUDGET_VIEW)
def export_lines(request: HttpRequest) -> HttpResponse:
    cycle = _cycle_from(request)
    lines = selectors.filtered_lines(company=request.company, cycle=cycle)
    name = f"budget-{request.company.slug}-{cycle.name if cycle else 'all'}".replace(" ", "-")
    if request.GET.get("format") == "xlsx":
        data = exports.lines_xlsx(lines)
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = attachment_header(f"{name}.xlsx")
        return response
    response = StreamingHttpResponse(exports.lines_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_header(f"{name}.csv")
    return response
