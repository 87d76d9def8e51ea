"""The board KPI page and its htmx partials (refresh, attribution model switcher, digest opt-in).
Thin: parse input, call a selector or service, shape the figures, render."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.permissions import Action, allowed_actions, can
from companies.tenancy import company_view
from core import versions
from core.conditional import conditional_page, natural_age
from core.htmx import trigger_toast
from core.numbers import currency_symbol
from crm.sources import HUBSPOT_MARKETING_EXAMPLES

from .. import attribution, charts, kpis, periods
from ..formatting import format_kpi_value, present_tile
from ..models_snapshots import KpiRefresh, PeriodKind
from ..selectors import alerts as selectors_alerts
from ..selectors import kpi as selectors_kpi
from ..services import digest as services_digest
from ..services import kpi as services_kpi
from ..sparkline import sparkline_svg

DEFAULT_ATTRIBUTION_MODEL = "u_shaped"


def _german() -> bool:
    return (get_language() or "").startswith("de")


SESSION_KEY = "board_period"


def _period_choice(request: HttpRequest) -> tuple[str, str | None]:
    """The period type and period the user chose: from the query (``?period=quarter&key=2026-Q3``; ``key`` empty
    = the last complete period), remembered in the session for the next visit; without a choice, months and the
    last complete month."""
    remembered = request.session.get(SESSION_KEY) or {}
    kind = request.GET.get("period") or remembered.get("kind") or PeriodKind.MONTH
    if kind not in PeriodKind.values:
        kind = PeriodKind.MONTH
    if "key" in request.GET or "period" in request.GET:
        key = (request.GET.get("key") or "")[:40] or None
        if remembered != {"kind": kind, "key": key}:
            request.session[SESSION_KEY] = {"kind": kind, "key": key}
    else:
        key = remembered.get("key") if remembered.get("kind") == kind else None
    return kind, key


def _period_kind(request: HttpRequest) -> str:
    return _period_choice(request)[0]


def _attribution_model(request: HttpRequest) -> str:
    model = request.GET.get("model", DEFAULT_ATTRIBUTION_MODEL)
    return model if model in attribution.MODELS else DEFAULT_ATTRIBUTION_MODEL


def board_period(*, company, kind: str, tiles: list, on: dt.date) -> tuple[dt.date, dt.date, str]:
    """The period the charts show: the tiles' period, else the current one of that kind (a quarter when there is
    no current cycle)."""
    if tiles:
        return tiles[0].period_start, tiles[0].period_end, tiles[0].period_label
    if kind == PeriodKind.CYCLE:
        cycles = services_kpi.current_cycles(company=company, on=on)
        if cycles:
            period = periods.cycle_period(cycles[0])
            return period.start, period.end, str(period.label)
        kind = PeriodKind.QUARTER
    period = periods.period_for(company=company, kind=kind, on=on)
    return period.start, period.end, str(period.label)


# --- tiles ---------------------------------------------------------------------------------------------------------


def _sparkline(tile: selectors_kpi.KpiTile, *, currency: str) -> SafeString:
    """The tile's trend as server-drawn SVG (reporting/sparkline.py): no chart code for the ten tiles."""
    colour = {"on_track": charts.GREEN, "behind": charts.AMBER, "at_risk": charts.RED}.get(tile.status, charts.BLUE)
    labels = [axis_label(h, tile.period_kind) for h in tile.history]
    texts = [format_kpi_value(h.value, tile.unit, currency=currency) for h in tile.history]
    name = _("Trend of %(label)s") % {"label": tile.label}
    return sparkline_svg([h.value for h in tile.history], labels, texts, color=colour, label=name)


# --- chart data from snapshot breakdowns -------------------------------------------------------------------------


FUNNEL_STAGES = [
    ("leads", gettext_lazy("Leads")),
    ("mql", gettext_lazy("MQL")),
    ("sal", gettext_lazy("SAL")),
    ("sql", gettext_lazy("SQL")),
    ("opportunity", gettext_lazy("Opportunities")),
    ("won", gettext_lazy("Won")),
]


def funnel_stages(breakdown: dict) -> list[tuple[str, int]]:
    """(label, count) per funnel stage from the funnel_conversion breakdown (empty when the cohort is empty)."""
    if not breakdown.get("leads"):
        return []
    return [(str(label), int(breakdown.get(key) or 0)) for key, label in FUNNEL_STAGES]


def axis_label(point: selectors_kpi.HistoryPoint, kind: str) -> str:
    """Short labels that fit a time axis: "Nov 26" for months, the period's own label otherwise."""
    if kind == PeriodKind.MONTH:
        return formats.date_format(point.period_start, "M y")
    return point.period_label


def segment_series(history: list[selectors_kpi.HistoryPoint], kind: str) -> tuple[list[str], dict[str, list]]:
    """Labels and one series per focus segment from the qualified_leads_focus_segments history (its breakdown
    is ``{segment: count}``)."""
    labels = [axis_label(h, kind) for h in history]
    segments: dict[str, list] = {}
    for index, point in enumerate(history):
        for segment, count in point.breakdown.items():
            series = segments.setdefault(str(segment), [0] * len(history))
            series[index] = Decimal(str(count or 0))
    return labels, segments


def _attribution_context(request: HttpRequest, *, start: dt.date, end: dt.date, model: str) -> dict:
    """The attribution panel from the rows the last KPI refresh stored for the period (never computed here: that
    streams every opportunity and touchpoint of the period). No stored rows yet: the panel says "Refresh now"."""
    company = request.company
    stored = selectors_kpi.stored_attribution(company=company, model=model, start=start, end=end)
    if stored is not None:
        half_life_days = stored.half_life_days
        rows = attribution.rows_from_json(stored.rows)
    else:
        half_life_days = kpis.reporting_settings(company).attribution_half_life_days
        rows = []
    figure = (
        charts.attribution_figure(
            rows,
            pipeline_label=_("Pipeline"),
            won_label=_("Won revenue"),
            currency_symbol=currency_symbol(company.currency),
            german=_german(),
        )
        if rows
        else None
    )
    return {
        "attribution_models": [(m, attribution.MODEL_LABELS[m]) for m in attribution.MODELS],
        "attribution_model": model,
        "attribution_explanation": attribution_explanation(model, half_life_days=half_life_days),
        "attribution_figure": charts.figure_json(figure) if figure is not None else "",
        "attribution_stored": stored is not None,
        "attribution_computed_at": stored.computed_at if stored is not None else None,
        "attribution_start": start,
        "attribution_end": end,
    }


def css_string(text: str) -> SafeString:
    """``text`` as a quoted CSS string (for @page margin boxes): every character outside plain ASCII letters,
    digits, spaces and a few punctuation marks becomes a CSS hex escape, so nothing can end the string, the rule or
    the style element; that is why it may be marked safe here (the template needs no ``|safe``)."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-()")
    escaped = "".join(c if c in allowed else "\\" + format(ord(c), "06x") for c in str(text))
    return mark_safe('"' + escaped + '"')  # noqa: S308


def _print_context(company, *, period_label: str, computed_at) -> dict:
    """The handout's margins: company and period at the top, data age at the bottom, page numbers (board.html)."""
    age = (
        _("Figures as of %(when)s") % {"when": formats.date_format(timezone.localtime(computed_at), "DATETIME_FORMAT")}
        if computed_at
        else _("No figures computed yet")
    )
    return {
        "print_running": css_string(f"{company.name} · {_('Board KPIs')} · {period_label}"),
        "print_age": css_string(age),
        "print_page_label": css_string(_("Page")),
    }


def _definitions_context(company) -> dict:
    """What the board's "How is this computed?" states: every KPI's definition, the one definition of reaching a
    funnel stage, the source classification in effect and every attribution model (from their definitions)."""
    settings = kpis.reporting_settings(company)
    return {
        "kpi_definitions": [
            (str(d.label), str(getattr(d, "description", "")), getattr(d, "aggregation", "rate"))
            for d in kpis.KPIS.values()
        ],
        "reached_definition": kpis.REACHED_DEFINITION,
        "qualified_stage_label": settings.get_qualified_stage_display(),
        "sources_default": settings.uses_default_sources,
        "sales_sources": ", ".join(settings.sales_source_list),
        "other_sources": ", ".join(settings.other_source_list),
        "marketing_examples": ", ".join(HUBSPOT_MARKETING_EXAMPLES),
        "model_definitions": [
            (
                str(attribution.MODEL_LABELS[m]),
                attribution.model_description(m, half_life_days=settings.attribution_half_life_days),
            )
            for m in attribution.MODELS
        ],
    }


def attribution_explanation(model: str, *, half_life_days: int) -> str:
    """The model's anchor as the board states it (the texts live with the models in reporting.attribution)."""
    return attribution.model_description(model, half_life_days=half_life_days)


# --- pages ----------------------------------------------------------------------------------------------------------


# The data the board shows: snapshots and targets ("board"), the cascade's progress ("okr"), budgets and spend
# ("budgets") and the company's own settings ("company"); see core.versions.
BOARD_SCOPES = ("board", "okr", "budgets", "company")
_AGE_MARKER = re.compile(r"<!--age:([0-9T:.+-]+)-->")


def _age_marker(when: dt.datetime | None) -> SafeString:
    """A placeholder for "5 minutes ago" in the stored body (an HTML comment: escaped user data has no ``<``)."""
    return mark_safe(f"<!--age:{when.isoformat()}-->" if when else "")  # noqa: S308 - digits and separators


def _with_ages(html: str) -> str:
    """The stored body with every age marker replaced by the age as of now, in the active language."""
    return _AGE_MARKER.sub(
        lambda match: conditional_escape(natural_age(dt.datetime.fromisoformat(match.group(1)))), html
    )


def _board_body(request: HttpRequest, *, kind: str, key: str | None, today: dt.date) -> dict:
    """The board's figures for the period: the rendered body (tiles, charts, definitions) and what the header
    needs, once per data version, language, day, attribution model and what the role may do."""
    company = request.company
    role = request.membership.role
    can_set_targets = can(role, Action.KPI_TARGETS_MANAGE)
    model = _attribution_model(request)
    cache_key = versions.fragment_key(
        "board",
        company.pk,
        versions.versions(company.pk, BOARD_SCOPES),
        get_language(),
        today,
        kind,
        key,
        model,
        can_set_targets,
        can(role, Action.KPI_REFRESH),
    )

    def render() -> dict:
        return _render_board_body(request, kind=kind, key=key, today=today, model=model)

    stored, _hit = versions.fragment(cache_key, render)
    return stored


def _render_board_body(request: HttpRequest, *, kind: str, key: str | None, today: dt.date, model: str) -> dict:
    company = request.company
    available: list[selectors_kpi.BoardPeriod] = []
    tiles = selectors_kpi.board_tiles(company=company, period_kind=kind, on=today, period_key=key, available=available)
    if key and not tiles:  # a remembered or typed period without figures: the default period instead
        key, available = None, []
        tiles = selectors_kpi.board_tiles(company=company, period_kind=kind, on=today, available=available)
    start, end, period_label = board_period(company=company, kind=kind, tiles=tiles, on=today)
    by_key = {t.key: t for t in tiles}
    german = _german()
    symbol = currency_symbol(company.currency)
    complete = [p for p in available if p.end < today]
    last_complete = complete[0] if complete else None
    showing_key = tiles[0].period_key if tiles else ""
    can_set_targets = can(request.membership.role, Action.KPI_TARGETS_MANAGE)
    settings_url = reverse("reporting:board_targets", kwargs={"company_slug": company.slug})

    open_alerts = selectors_alerts.open_alerts(company=company)
    alerting = {a.kpi for a in open_alerts}
    presented = []
    for tile in tiles:
        item = present_tile(tile, currency=company.currency)
        item["alert"] = tile.key in alerting
        item["sparkline"] = _sparkline(tile, currency=company.currency)
        item["set_target_url"] = f"{settings_url}?period={kind}&key={tile.period_key}#target-{tile.key}"
        item["age_marker"] = _age_marker(tile.computed_at)
        presented.append(item)

    funnel_tile = by_key.get("funnel_conversion")
    stages = funnel_stages(funnel_tile.breakdown) if funnel_tile else []
    segments_tile = by_key.get("qualified_leads_focus_segments")
    segment_labels, segments = segment_series(segments_tile.history, kind) if segments_tile else ([], {})
    bound_tile = by_key.get("budget_bound_share")
    objectives = selectors_kpi.objective_progress(company=company, start=start, end=end)
    spend = selectors_kpi.spend_plan_vs_actual(company=company, start=start, end=end)
    period_day = (today - start).days + 1 if start <= today <= end else None
    last_complete = last_complete if last_complete and last_complete.key != showing_key else None

    context = {
        "period_kind": kind,
        "period_key": showing_key,
        "last_complete": last_complete,
        "can_set_targets": can_set_targets,
        **_definitions_context(company),
        "period_day": period_day,
        "tiles": presented,
        "open_alerts": [selectors_alerts.present_alert(a, currency=company.currency) for a in open_alerts],
        "has_snapshots": bool(tiles) or selectors_kpi.board_has_data(company=company),
        "funnel_figure": charts.figure_json(charts.funnel_figure(stages, german=german)) if stages else "",
        "segments_figure": charts.figure_json(charts.segment_trend_figure(segment_labels, segments, german=german))
        if segments
        else "",
        "bound_figure": charts.figure_json(
            charts.budget_bound_figure(bound_tile.value, bound_tile.target, german=german)
        )
        if bound_tile and bound_tile.value is not None
        else "",
        "bound_tile": present_tile(bound_tile, currency=company.currency) if bound_tile else None,
        "okr_figure": charts.figure_json(
            charts.okr_cascade_figure(
                objectives,
                root_label=company.name,
                amber_from=float(company.score_amber_from),
                green_from=float(company.score_green_from),
                german=german,
            )
        )
        if objectives
        else "",
        "objectives": objectives,
        "spend_figure": charts.figure_json(
            charts.spend_figure(
                spend, planned_label=_("Planned"), actual_label=_("Actual"), currency_symbol=symbol, german=german
            )
        )
        if spend
        else "",
        "spend": spend,
        **_attribution_context(request, start=start, end=end, model=model),
    }
    return {
        # without the request: the context processors (navigation, the user's companies) are the page's, not the body's
        "html": render_to_string(
            "reporting/board/_body.html",
            {**context, "company": company, "can": allowed_actions(request.membership.role)},
        ),
        "period_key": showing_key,
        "period_label": period_label,
        "period_start": start,
        "period_end": end,
        "period_day": period_day,
        "available_periods": available,
        "last_complete": last_complete,
        "computed_at": max((t.computed_at for t in tiles), default=None),
    }


@require_GET
@company_view(Action.BOARD_VIEW)
@conditional_page(*BOARD_SCOPES, "status")
def board(request: HttpRequest) -> HttpResponse:
    """The board: the figures rendered once per data version (``_board_body``), the refresh status and the
    digest opt-in (the viewer's own) read on every request."""
    company = request.company
    kind, key = _period_choice(request)
    body = _board_body(request, kind=kind, key=key, today=timezone.localdate())
    computed_at = body["computed_at"]
    context = {
        "period_kind": kind,
        "period_kinds": PeriodKind.choices,
        "period_key": body["period_key"],
        "available_periods": body["available_periods"],
        "last_complete": body["last_complete"],
        "can_set_targets": can(request.membership.role, Action.KPI_TARGETS_MANAGE),
        **_print_context(company, period_label=body["period_label"], computed_at=computed_at),
        "targets_url": reverse("reporting:board_targets", kwargs={"company_slug": company.slug}),
        "period_label": body["period_label"],
        "period_start": body["period_start"],
        "period_end": body["period_end"],
        "period_day": body["period_day"],
        "period_days": (body["period_end"] - body["period_start"]).days + 1,
        "computed_at": computed_at,
        "board_body": mark_safe(_with_ages(body["html"])),  # noqa: S308 - our template's output, ages escaped
        **_status_context(selectors_kpi.latest_refresh(company=company)),
        "digest": services_digest.digest_subscription_for(user=request.user, company=company),
    }
    return render(request, "reporting/board/board.html", context)


@require_GET
@company_view(Action.BOARD_VIEW)
def board_attribution(request: HttpRequest) -> HttpResponse:
    """htmx: the attribution panel for another model (the period comes with the request)."""
    company = request.company
    kind = request.GET.get("period") if request.GET.get("period") in PeriodKind.values else PeriodKind.MONTH
    key = (request.GET.get("key") or "")[:40] or None
    today = timezone.localdate()
    tiles = selectors_kpi.board_tiles(company=company, period_kind=kind, on=today, period_key=key)[:1]
    if key and not tiles:
        tiles = selectors_kpi.board_tiles(company=company, period_kind=kind, on=today)[:1]
    start, end, _label = board_period(company=company, kind=kind, tiles=tiles, on=today)
    context = {
        "period_kind": kind,
        "period_key": tiles[0].period_key if tiles else "",
        **_attribution_context(request, start=start, end=end, model=_attribution_model(request)),
    }
    return render(request, "reporting/board/_attribution.html", context)


def _status_context(refresh: KpiRefresh | None, *, error: str = "") -> dict:
    progress = services_kpi.refresh_progress(refresh.pk) if refresh and refresh.is_active else None
    percent = None
    if progress and progress.get("total"):
        percent = round(100 * progress["done"] / progress["total"])
    return {
        "refresh": refresh,
        "progress": progress,
        "percent": percent,
        "error": error,
        "queue_unavailable": bool(refresh and refresh.error == services_kpi.QUEUE_UNAVAILABLE),
    }


def _status_response(request: HttpRequest, refresh: KpiRefresh | None, *, error: str = "") -> HttpResponse:
    return render(request, "reporting/board/_refresh_status.html", _status_context(refresh, error=error))


@require_POST
@company_view(Action.KPI_REFRESH)
def board_refresh(request: HttpRequest) -> HttpResponse:
    """ "Refresh now": enqueue a refresh; htmx gets the status panel (polling while it runs)."""
    scope = request.POST.get("scope", "current")
    board_url = reverse("reporting:board", kwargs={"company_slug": request.company.slug})
    try:
        refresh = services_kpi.kpi_refresh_request(company=request.company, actor=request.user, scope=scope)
    except services_kpi.QueueUnavailable as exc:
        if request.htmx:
            return _status_response(request, selectors_kpi.latest_refresh(company=request.company), error=exc.message)
        messages.error(request, exc.message)
        return redirect(board_url)
    if not request.htmx:
        if refresh.status == KpiRefresh.Status.DONE:
            messages.success(request, _("The KPIs are up to date."))
        else:
            messages.info(request, _("The refresh has started. This page shows the new figures once it is done."))
        return redirect(board_url)
    response = _status_response(request, refresh)
    if refresh.status == KpiRefresh.Status.DONE:
        # Ran in-process (no Redis): show the new figures at once.
        response.headers["HX-Refresh"] = "true"
    return response


@require_GET
@company_view(Action.BOARD_VIEW)
def board_refresh_status(request: HttpRequest, refresh_id: int) -> HttpResponse:
    """htmx poll target while a refresh runs; reloads the page once it has finished successfully."""
    refresh = selectors_kpi.refresh_for(company=request.company, refresh_id=refresh_id, follow=True)
    response = _status_response(request, refresh)
    if request.htmx and refresh.status == KpiRefresh.Status.DONE and request.GET.get("poll"):
        response.headers["HX-Refresh"] = "true"
    return response


@require_POST
@company_view(Action.BOARD_VIEW)
def board_digest(request: HttpRequest) -> HttpResponse:
    """Opt in to or out of the weekly KPI e-mail."""
    weekly = request.POST.get("weekly") == "1"
    subscription = services_digest.digest_subscription_set(company=request.company, user=request.user, weekly=weekly)
    text = (
        _("You will receive the KPI e-mail every Monday.")
        if subscription.weekly
        else _("You will no longer receive the KPI e-mail.")
    )
    if request.htmx:
        response = render(request, "reporting/board/_digest.html", {"digest": subscription})
        return trigger_toast(response, text)
    messages.success(request, text)
    return redirect("reporting:board", company_slug=request.company.slug)
