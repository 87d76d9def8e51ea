"""The board's KPI targets page: cycle targets and explicit targets of a month or quarter."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import PermissionDenied
from core.numbers import parse_decimal
from objectives.models import Cycle

from .. import kpis, periods, targets
from ..formatting import format_kpi_value
from ..models_snapshots import KpiTarget, PeriodKind
from ..services import kpi as services_kpi
from ..services import targets as services_targets


def _target_rows(company, period: periods.Period, *, book) -> list[dict]:
    explicit = {
        t.kpi: t for t in KpiTarget.objects.filter(company=company, period_key=period.key).select_related("updated_by")
    }
    rows = []
    for key, definition in kpis.KPIS.items():
        found = book.for_period(key, period)
        own = explicit.get(key)
        rows.append(
            {
                "key": key,
                "label": str(definition.label),
                "unit": definition.unit,
                "aggregation": definition.aggregation,
                "explicit": own,
                "effective": format_kpi_value(found.value, definition.unit, currency=company.currency)
                if found is not None
                else "",
                "source": found.source_label if found is not None else "",
                "cycle_name": found.cycle_name if found is not None else "",
                "input": formats.number_format(own.value.normalize(), use_l10n=True) if own is not None else "",
                "error": "",
            }
        )
    return rows


def _targets_period(request: HttpRequest):
    """The period whose targets the page edits: ``?key=`` (a month, quarter or cycle), else the current cycle
    (else the current month)."""
    company = request.company
    key = (request.POST.get("key") or request.GET.get("key") or "")[:40]
    if key:
        try:
            return periods.parse_period_key(company=company, key=key)
        except ValueError:
            raise Http404(_("Unknown period.")) from None
    today = timezone.localdate()
    cycles = services_kpi.current_cycles(company=company, on=today)
    if cycles:
        return periods.cycle_period(cycles[0])
    return periods.period_for(company=company, kind=PeriodKind.MONTH, on=today)


def _targets_navigation(company, period: periods.Period) -> dict:
    """The cycles, and the months and quarters of the cycle covering the period, to switch between."""
    cycles = list(Cycle.objects.filter(company=company).order_by("-start_date", "end_date", "pk"))
    covering = next((c for c in cycles if period.kind == "cycle" and c.pk == period.cycle_id), None)
    if covering is None:
        covering = next((c for c in cycles if c.start_date <= period.end <= c.end_date), None)
    months, quarters = [], []
    if covering is not None:
        months = periods.periods_between(
            company=company, kind=PeriodKind.MONTH, start=covering.start_date, end=covering.end_date
        )[:24]
        quarters = periods.periods_between(
            company=company, kind=PeriodKind.QUARTER, start=covering.start_date, end=covering.end_date
        )[:8]
    return {
        "cycles": [periods.cycle_period(c) for c in cycles[:20]],
        "months": months,
        "quarters": quarters,
        "covering_cycle": covering,
    }


@company_view(Action.BOARD_VIEW)
def board_targets(request: HttpRequest) -> HttpResponse:
    """The board's KPI targets of one period: cycle targets (months and quarters derive from them) or explicit
    targets of a month or quarter. Everyone who reads the board sees them; KPI_TARGETS_MANAGE edits them. A form
    with one bad value changes nothing and says which field and why."""
    company = request.company
    may_edit = can(request.membership.role, Action.KPI_TARGETS_MANAGE)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    period = _targets_period(request)
    status = 200
    rows = _target_rows(company, period, book=targets.TargetBook(company))
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied()
        errors = 0
        try:
            with transaction.atomic():
                for row in rows:
                    raw = (request.POST.get(f"target-{row['key']}") or "").strip()
                    row["input"] = raw
                    if not raw:
                        services_targets.kpi_target_delete(company=company, actor=request.user, kpi=row["key"],
                                                  period_key=period.key)  # fmt: skip
                        continue
                    try:
                        value = parse_decimal(raw)  # by the user's language: "1.250,5" / "1,250.5"
                        services_targets.kpi_target_set(company=company, actor=request.user, kpi=row["key"],
                                               period_key=period.key, value=value)  # fmt: skip
                    except ValueError:
                        row["error"] = _("Enter a number as written in your language, e.g. %(example)s.") % {
                            "example": formats.number_format(
                                Decimal("1250.5"), decimal_pos=1, use_l10n=True, force_grouping=True
                            )
                        }
                        errors += 1
                    except ValidationError as exc:
                        row["error"] = " ".join(exc.messages)
                        errors += 1
                if errors:
                    raise _Rollback()
        except _Rollback:
            status = 400
            messages.error(request, _("Nothing was saved: please correct the marked targets."))
        else:
            messages.success(request, _("The targets of %(period)s are saved.") % {"period": _period_name(period)})
            url = reverse("reporting:board_targets", kwargs={"company_slug": company.slug})
            return redirect(f"{url}?key={period.key}")
    context = {
        "period": period,
        "period_name": _period_name(period),
        "rows": rows,
        "may_edit": may_edit,
        **_targets_navigation(company, period),
    }
    return render(request, "reporting/board/targets.html", context, status=status)


class _Rollback(Exception):
    """Undo every target of a form that has one bad value."""


def _period_name(period: periods.Period) -> str:
    return str(period.label)
