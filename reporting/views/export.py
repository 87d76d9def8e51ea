"""The board's KPI history as a CSV or XLSX download."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from companies.permissions import Action
from companies.tenancy import company_view
from core import tabular
from core.safety import attachment_header

from .. import kpis
from ..models_snapshots import PeriodKind
from ..selectors import kpi as selectors_kpi
from .board import _german


def _export_table(request: HttpRequest, kind: str | None) -> tuple[list[str], list[list]]:
    header = [
        _("KPI key"),
        _("KPI"),
        _("Period type"),
        _("Period"),
        _("Period start"),
        _("Period end"),
        _("Value"),
        _("Target"),
        _("Unit"),
        _("Status"),
        _("Computed at"),
    ]
    kinds = dict(PeriodKind.choices)
    rows = []
    for snapshot in selectors_kpi.kpi_export_rows(company=request.company, period_kind=kind):
        definition = kpis.KPIS.get(snapshot.kpi)
        status = selectors_kpi.kpi_status(
            snapshot.value, snapshot.target, higher_is_better=definition.higher_is_better if definition else True
        )
        rows.append(
            [
                snapshot.kpi,
                str(definition.label) if definition else snapshot.kpi,
                str(kinds.get(snapshot.period_kind, snapshot.period_kind)),
                snapshot.period_label or snapshot.period_key,
                snapshot.period_start,
                snapshot.period_end,
                snapshot.value,
                snapshot.target,
                snapshot.unit,
                str(selectors_kpi.STATUS_LABELS[status]),
                timezone.localtime(snapshot.computed_at).replace(tzinfo=None, microsecond=0),
            ]
        )
    return [str(h) for h in header], rows


@require_GET
@company_view(Action.BOARD_VIEW)
def board_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """KPI history as CSV (UTF-8 with BOM, so Excel reads the umlauts) or XLSX."""
    kind = request.GET.get("period") or None
    if kind is not None and kind not in PeriodKind.values:
        kind = None
    header, rows = _export_table(request, kind)
    stamp = timezone.localdate().isoformat()
    filename = f"kpi-history-{request.company.slug}-{stamp}"
    if fmt == "csv":
        body = tabular.write_csv(header, rows, delimiter=";" if _german() else ",")
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = attachment_header(f"{filename}.csv")
        return response
    if fmt == "xlsx":
        widths = (30, 40, 12, 16, 12, 12, 16, 16, 10, 12, 20)
        body = tabular.write_xlsx(header, rows, title=_("KPI history"), widths=widths)
        response = HttpResponse(body, content_type=tabular.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = attachment_header(f"{filename}.xlsx")
        return response
    raise Http404(_("Unknown export format."))
