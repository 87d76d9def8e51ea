"""The handover SLA pages: compliance per rule and month with the open breaches, the full list of open breaches,
the rejected and recycled leads with the reasons sales gave (the feedback loop), and the rules. Thin: selectors
read, services change, templates render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from companies.permissions import Action, require
from companies.tenancy import company_view
from core.htmx import apply_to_form
from core.numbers import format_decimal, format_percent_points
from core.tenancy import company_from_request

from . import selectors
from .forms import SlaCalendarForm, SlaRuleForm
from .services import sla_calendar_update, sla_rule_update

OVERVIEW_BREACHES = 10
FEEDBACK_WINDOWS = {
    30: gettext_lazy("last 30 days"),
    90: gettext_lazy("last 90 days"),
    365: gettext_lazy("last 12 months"),
}


def _moment(value: dt.datetime | None, tz) -> str:
    if value is None:
        return "–"
    return formats.date_format(value.astimezone(tz), "SHORT_DATETIME_FORMAT")


def _hours(value) -> str:
    return _("%(hours)s h") % {"hours": format_decimal(value, decimals=1, min_decimals=0)}


def _status(meets: bool | None) -> tuple[str, str]:
    if meets is None:
        return "none", ""
    return ("green", _("met")) if meets else ("red", _("missed"))


def _breach_rows(breaches, tz) -> list[dict]:
    return [
        {
            "external_id": b.external_id,
            "owner": b.owner,
            "segment": b.segment,
            "rule": b.rule_label,
            "started": _moment(b.started_at, tz),
            "deadline": _moment(b.deadline, tz),
            "overdue": _hours(b.hours_overdue),
        }
        for b in breaches
    ]


@company_view(Action.SLA_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    now = timezone.now()
    table = selectors.compliance_table(company, at=now)
    calendar = selectors.work_calendar(table["calendar"])
    rows = []
    for row in table["rows"]:
        cells = []
        for cell in row.cells:
            status, label = _status(row.meets_target(cell))
            entry = {"percent": format_percent_points(cell.percent, decimals=1, min_decimals=0), "status": status,
                     "status_label": label, "running": cell.running}  # fmt: skip
            if cell.tally is not None:
                entry["detail"] = _("%(met)s of %(judged)s in time") % {
                    "met": cell.tally.met,
                    "judged": cell.tally.judged,
                }
                entry["pending"] = cell.tally.pending
                entry["median"] = _hours(cell.tally.median_hours) if cell.tally.median_hours is not None else ""
            else:
                entry["segments"] = sorted(cell.segments.items()) if cell.segments else []
            cells.append(entry)
        rows.append({"rule": row.rule, "target": format_percent_points(row.rule.target_percent, decimals=0),
                     "cells": cells})  # fmt: skip
    breaches = selectors.open_breaches(company, at=now)
    context = {
        "months": [formats.date_format(m.first_day, "YEAR_MONTH_FORMAT") for m in table["months"]],
        "rows": rows,
        "segments": table["segments"],
        "breach_count": len(breaches),
        "breaches": _breach_rows(breaches[:OVERVIEW_BREACHES], calendar.tz),
        "calendar": table["calendar"],
    }
    return render(request, "sla/overview.html", context)


@company_view(Action.SLA_VIEW)
def breaches(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    calendar = selectors.work_calendar(selectors.sla_calendar(company))
    found = selectors.open_breaches(company)
    owners: dict[str, int] = {}
    for breach in found:
        owners[breach.owner] = owners.get(breach.owner, 0) + 1
    context = {
        "breaches": _breach_rows(found, calendar.tz),
        "owners": sorted(owners.items(), key=lambda item: (-item[1], item[0])),
        "lookback": selectors.OPEN_BREACH_LOOKBACK_DAYS,
    }
    return render(request, "sla/breaches.html", context)


@company_view(Action.SLA_VIEW)
def feedback(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    calendar = selectors.work_calendar(selectors.sla_calendar(company))
    try:
        days = int(request.GET.get("days", 90))
    except ValueError:
        days = 90
    if days not in FEEDBACK_WINDOWS:
        days = 90
    end = timezone.now()
    data = selectors.rejection_feedback(company, start=end - dt.timedelta(days=days), end=end)
    mix = [
        {
            "reason": row["rejection_reason"] or _("(no reason given)"),
            "n": row["n"],
            "rejected": row["rejected"],
            "recycled": row["recycled"],
            "percent": format_percent_points(row["percent"], decimals=1, min_decimals=0),
        }
        for row in data["mix"]
    ]
    leads = [
        {
            "external_id": row["external_id"],
            "owner": row["owner"],
            "segment": row["segment"],
            "channel": row["channel"],
            "mql": _moment(row["mql_at"], calendar.tz),
            "rejected": _moment(row["rejected_at"], calendar.tz),
            "recycled": _moment(row["recycled_at"], calendar.tz),
            "reason": row["rejection_reason"],
        }
        for row in data["leads"]
    ]
    context = {
        "windows": list(FEEDBACK_WINDOWS.items()),
        "days": days,
        "mix": mix,
        "total": data["total"],
        "leads": leads,
        "limited": data["total"] > len(leads),
        "limit": data["limit"],
    }
    return render(request, "sla/feedback.html", context)


@company_view(Action.SLA_VIEW)
def rules(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    calendar = selectors.sla_calendar(company)
    current = selectors.sla_rules(company)
    posted = request.POST if request.method == "POST" else None
    calendar_form = SlaCalendarForm(
        posted,
        prefix="calendar",
        initial={"time_zone": calendar.time_zone, "country": calendar.country, "subdivision": calendar.subdivision,
                 "day_start": calendar.day_start, "day_end": calendar.day_end},
    )  # fmt: skip
    rule_forms = [
        SlaRuleForm(
            posted,
            rule=rule,
            initial={
                "is_active": rule.is_active,
                "hours": rule.hours,
                "monthly_leads": rule.monthly_leads,
                "target_percent": rule.target_percent,
            },
        )
        for rule in current
    ]
    if posted is not None:
        require(request.membership.role, Action.SLA_MANAGE)
        valid = [calendar_form.is_valid()] + [form.is_valid() for form in rule_forms]  # every form shows its errors
        if all(valid) and _save(request, calendar_form, rule_forms):
            messages.success(request, _("The SLA rules were saved."))
            return redirect("sla:rules", company_slug=company.slug)
    has_errors = calendar_form.errors or any(form.errors for form in rule_forms)
    context = {
        "calendar_form": calendar_form,
        "rule_forms": rule_forms,
        "calendar": calendar,
        "saved": calendar.pk is not None,
    }
    return render(request, "sla/rules.html", context, status=400 if has_errors else 200)


def _save(request, calendar_form, rule_forms) -> bool:
    """Save the calendar and every rule in one transaction; a refused value becomes that form's error."""
    company = company_from_request(request)
    try:
        with transaction.atomic():
            try:
                sla_calendar_update(company=company, actor=request.user, **calendar_form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(calendar_form, exc)
                raise
            for form in rule_forms:
                try:
                    sla_rule_update(company=company, actor=request.user, kind=form.rule.kind, **form.cleaned_data)
                except ValidationError as exc:
                    apply_to_form(form, exc)
                    raise
    except ValidationError:
        return False
    return True
