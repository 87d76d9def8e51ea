"""What the budget pages share: query parameters, the current cycle, a line's URL and its row context."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from companies.permissions import Action, can
from core.safety import clean_query, parse_id
from core.tenancy import for_company
from objectives.models import Cycle

from .. import selectors, services
from ..forms import LineQueryForm
from ..models import BudgetLine

State = BudgetLine.State


def _query(request: HttpRequest) -> dict:
    """The page's query parameters, checked (a malformed id such as "²" is a 400 naming the parameter)."""
    return clean_query(LineQueryForm, request.GET)


def _cycle_from(request: HttpRequest) -> Cycle | None:
    cycle_id = _query(request)["cycle"]
    if cycle_id is not None:
        cycle = for_company(Cycle, request.company).filter(pk=cycle_id).first()
        if cycle is not None:
            return cycle
    return selectors.current_cycle(request.company)


def _line_url(request, line) -> str:
    return reverse("budgets:line", kwargs={"company_slug": request.company.slug, "pk": line.pk})


def _row_context(request, line: BudgetLine, *, limit=None) -> dict:
    role = request.membership.role
    if limit is None:
        limit = services.budget_settings_for(request.company).cmo_approval_limit
    return {
        "line": line,
        "limit": limit,
        "may_decide": can(role, Action.BUDGET_APPROVE) and line.requester_id != request.user.pk,
        "may_bind": can(role, Action.BUDGET_APPROVE) or line.requester_id == request.user.pk,
        "approve_refusal": services.approval_refusal(line=line, user=request.user),
    }


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return parse_id(raw)
