"""Read queries of KPI alerts (board, alerts page, weekly review, API, e-mail) and how an alert reads: the rule,
its inputs and why it fired, in the reader's language. Constant queries: alerts with their acknowledger (one), their
owners (one), the subscriptions (one)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from companies.models import Company
from core.people import display_name

from .. import kpis, periods
from ..formatting import format_kpi_value
from ..models import KpiBinding
from ..models_alerts import KpiAlert, KpiAlertSubscription

RULE_TEXT = gettext_lazy(
    "After each refresh, every KPI's latest complete month is checked: an alert is raised when it is at risk "
    "against its target (attainment below 80%), or when it lies outside median ± k × MAD of the KPI's previous n "
    "months (MAD: median absolute deviation; k = 3 and n = 6 unless set for the KPI; at least three previous "
    "months). One open alert per KPI until it is acknowledged or the KPI is back inside its bounds."
)

STATUS_WORDS = {
    KpiAlert.Status.OPEN: gettext_lazy("open"),
    KpiAlert.Status.ACKNOWLEDGED: gettext_lazy("acknowledged"),
    KpiAlert.Status.RESOLVED: gettext_lazy("resolved"),
}


def alerts_queryset(company: Company) -> QuerySet[KpiAlert]:
    return KpiAlert.objects.filter(company=company).select_related("acknowledged_by")


def open_alerts(*, company: Company) -> list[KpiAlert]:
    return list(alerts_queryset(company).filter(status=KpiAlert.Status.OPEN).order_by("-raised_at", "-id"))


def recent_alerts(*, company: Company, limit: int = 50) -> list[KpiAlert]:
    """Open alerts first, then the latest acknowledged and resolved ones."""
    opened = open_alerts(company=company)
    closed = list(alerts_queryset(company).exclude(status=KpiAlert.Status.OPEN).order_by("-raised_at", "-id")[:limit])
    return opened + closed


def alerts_for_week(*, company: Company, start: dt.date, end: dt.date) -> list[KpiAlert]:
    """The alerts a weekly review shows: raised during the week (start..end, inclusive) or still open."""
    first, last = periods.Period(kind="month", start=start, end=end, key="", label="").datetime_range()
    return list(
        alerts_queryset(company)
        .filter(Q(raised_at__gte=first, raised_at__lt=last) | Q(status=KpiAlert.Status.OPEN, raised_at__lt=last))
        .order_by("-raised_at", "-id")
    )


def alert_for(*, company: Company, alert_id: int) -> KpiAlert | None:
    return alerts_queryset(company).filter(pk=alert_id).first()


def kpi_owners(*, company: Company) -> dict[str, object]:
    """The owner of each KPI: the owner of the key result bound to it in the latest cycle (one query)."""
    owners: dict[str, object] = {}
    bindings = (
        KpiBinding.objects.filter(company=company, key_result__owner__isnull=False)
        .select_related("key_result__owner")
        .order_by("-key_result__objective__cycle__start_date", "-id")
    )
    for binding in bindings:
        owners.setdefault(binding.kpi_key, binding.key_result.owner)
    return owners


def subscribed_kpis(*, user, company: Company) -> set[str]:
    return set(KpiAlertSubscription.objects.filter(user=user, company=company).values_list("kpi", flat=True))


def _value(raw, unit: str, currency: str, language: str | None) -> str:
    return format_kpi_value(None if raw is None else Decimal(raw), unit, currency=currency, language=language)


def present_alert(alert: KpiAlert, *, currency: str, language: str | None = None, owner=None) -> dict:
    """An alert as pages, the review, the handout and e-mails show it: KPI, period, value, why it fired (one
    sentence per check that fired), the inputs of the rule, status and acknowledgement."""
    definition = kpis.KPIS.get(alert.kpi)
    label = str(definition.label) if definition else alert.kpi
    inputs = alert.inputs or {}
    unit = alert.unit

    def fmt(raw) -> str:
        return _value(raw, unit, currency, language)

    reasons = []
    if "target" in alert.reasons:
        reasons.append(
            _(
                "At risk against its target: %(value)s against a target of %(target)s (attainment %(attainment)s%%, "
                "at risk below %(limit)s%%)."
            )
            % {
                "value": fmt(inputs.get("value")),
                "target": fmt(inputs.get("target")),
                "attainment": formats.number_format(Decimal(inputs["attainment"]), 1, use_l10n=True)
                if inputs.get("attainment")
                else "–",
                "limit": formats.number_format(Decimal(inputs.get("at_risk_below") or 80), 0, use_l10n=True),
            }
        )
    if "history" in alert.reasons:
        text = (
            _("Below its usual range: %(value)s is under %(lower)s (median %(median)s − %(k)s × MAD %(mad)s).")
            if inputs.get("direction") == "below"
            else _("Above its usual range: %(value)s is over %(upper)s (median %(median)s + %(k)s × MAD %(mad)s).")
        )
        reasons.append(
            text
            % {
                "value": fmt(inputs.get("value")),
                "lower": fmt(inputs.get("lower")),
                "upper": fmt(inputs.get("upper")),
                "median": fmt(inputs.get("median")),
                "mad": fmt(inputs.get("mad")),
                "k": formats.number_format(Decimal(inputs.get("k") or 3).normalize(), use_l10n=True),
            }
        )
    history = [
        {
            "label": periods.localized_label(
                kind="month", key=h["period"], start=_month_start(h["period"]), stored=h.get("label", "")
            )
            if _month_start(h["period"])
            else h["period"],
            "value": fmt(h.get("value")),
        }
        for h in inputs.get("history", [])
    ]
    return {
        "id": alert.pk,
        "kpi": alert.kpi,
        "label": label,
        "period": periods.localized_label(
            kind="month", key=alert.period_key, start=alert.period_start, stored=alert.period_label
        ),
        "value": fmt(alert.value),
        "target": fmt(inputs.get("target")) if inputs.get("target") is not None else "",
        "reasons": reasons,
        "rule": str(RULE_TEXT),
        "k": formats.number_format(Decimal(inputs.get("k") or 3).normalize(), use_l10n=True),
        "n": inputs.get("n"),
        "history": history,
        "median": fmt(inputs.get("median")) if inputs.get("median") is not None else "",
        "mad": fmt(inputs.get("mad")) if inputs.get("mad") is not None else "",
        "status": alert.status,
        "status_label": str(STATUS_WORDS[alert.status]),
        "is_open": alert.is_open,
        "raised_at": alert.raised_at,
        "acknowledged_by": display_name(alert.acknowledged_by) if alert.acknowledged_by_id else "",
        "acknowledged_at": alert.acknowledged_at,
        "note": alert.note,
        "resolved_at": alert.resolved_at,
        "owner": display_name(owner) if owner is not None else "",
    }


def _month_start(key: str) -> dt.date | None:
    try:
        year, month = key.split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None
