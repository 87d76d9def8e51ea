"""The budget overview: plan vs. actual, bound share, by key result and objective, monthly spend."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from companies.permissions import Action
from companies.tenancy import company_view
from core.tenancy import company_from_request

from .. import charts, selectors
from .base import _cycle_from


@company_view(Action.BUDGET_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    cycle = _cycle_from(request)
    context = {"cycle": cycle, "cycles": selectors.company_cycles(company)}
    if cycle is not None:
        totals = selectors.overview_totals(company=company, cycle=cycle)
        by_channel = selectors.plan_vs_actual(company=company, cycle=cycle)
        by_kr = selectors.budget_by_key_result(company=company, cycle=cycle)
        monthly = selectors.monthly_actual(company=company, cycle=cycle)
        labels = charts.labels()
        context.update(
            {
                "totals": totals,
                "by_channel": by_channel,
                "by_kr": by_kr,
                "by_objective": selectors.budget_by_objective(company=company, cycle=cycle),
                "charts": {
                    "share": json.loads(charts.bound_share_figure(totals, labels=labels).to_json()),
                    "treemap": json.loads(charts.budget_treemap_figure(by_kr, labels=labels).to_json()),
                    "channels": json.loads(charts.plan_vs_actual_figure(by_channel, labels=labels).to_json()),
                    "monthly": json.loads(
                        charts.monthly_figure(monthly, totals["approved_amount"], labels=labels).to_json()
                    ),
                },
            }
        )
    return render(request, "budgets/overview.html", context)
