"""External partners: their own area (the initiatives assigned to them, the key results those feed, check-ins on
them, and their budget lines if the CMO shares them) and the CMO's partner scorecard with the assignments.

Thin: the partner selectors decide what a partner sees (initiatives.selectors.partners, budgets.selectors.partners),
the services decide what may change."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.models import Membership
from companies.permissions import Action, Role, can
from companies.services import membership_partner_budget_set
from companies.tenancy import company_view
from core.errors import DomainError, error_messages
from core.people import display_name
from core.tenancy import for_company, get_for_company_or_404
from initiatives.models import Initiative
from initiatives.selectors.partners import partner_initiatives, partner_key_result_get
from initiatives.services.partners import initiative_partner_assign, initiative_partner_unassign
from objectives.forms_cascade import CheckInForm

from ..selectors.partners import partner_budget_lines, partner_scorecard


def _check_in_form(kr, initiative, bound: CheckInForm | None) -> CheckInForm:
    """The check-in form of ``kr`` under ``initiative``: a key result fed by two initiatives shows twice, so the
    element ids name both; a refused check-in shows its values and errors in each place."""
    auto_id = f"ci-{initiative.pk}-{kr.pk}-%s"
    if bound is None:
        return CheckInForm(key_result=kr, auto_id=auto_id)
    form = copy.copy(bound)
    form.auto_id = auto_id
    form._bound_fields_cache = {}
    return form


def _partner_context(request: HttpRequest, forms_by_kr: dict | None = None) -> dict:
    membership = request.membership
    initiatives = list(partner_initiatives(membership=membership))
    lines = list(partner_budget_lines(membership=membership))
    forms_by_kr = forms_by_kr or {}
    entries = []
    for initiative in initiatives:
        krs = [(kr, _check_in_form(kr, initiative, forms_by_kr.get(kr.pk))) for kr in initiative.key_results.all()]
        own_lines = [line for line in lines if line.initiative_id == initiative.pk]
        entries.append({"initiative": initiative, "key_results": krs, "lines": own_lines})
    return {"entries": entries, "sees_budget": membership.partner_sees_budget}


@require_GET
@company_view(Action.PARTNER_WORK)
def partner_home(request: HttpRequest) -> HttpResponse:
    return render(request, "budgets/partner_home.html", _partner_context(request))


@require_http_methods(["GET", "POST"])
@company_view(Action.PARTNER_WORK)
def partner_check_in(request: HttpRequest, key_result_id: int) -> HttpResponse:
    """POST records a check-in on one of the partner's key results (any other key result is a 404)."""
    kr = partner_key_result_get(membership=request.membership, key_result_id=key_result_id)
    if request.method != "POST":
        return redirect("budgets:partner_home", company_slug=request.company.slug)
    form = CheckInForm(request.POST, key_result=kr)
    if form.is_valid() and form.save(actor=request.user):
        messages.success(request, _("Check-in saved: %(title)s") % {"title": kr.title})
        return redirect("budgets:partner_home", company_slug=request.company.slug)
    return render(request, "budgets/partner_home.html", _partner_context(request, {kr.pk: form}), status=400)


# --- the CMO's scorecard ------------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    initiative = forms.ModelChoiceField(label=gettext_lazy("Initiative"), queryset=Initiative.objects.none())

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = (
            for_company(Initiative, company).select_related("cycle").order_by("-cycle__start_date", "title")
        )
        self.fields["initiative"].label_from_instance = lambda i: f"{i.title} ({i.cycle.name})"


@require_GET
@company_view(Action.PARTNERS_VIEW)
def partner_scorecard_page(request: HttpRequest) -> HttpResponse:
    role = request.membership.role
    manage = can(role, Action.PARTNERS_MANAGE)
    initiatives = []
    if manage:
        initiatives = list(
            for_company(Initiative, request.company)
            .select_related("cycle")
            .order_by("-cycle__start_date", "title")
            .values_list("pk", "title", "cycle__name")
        )
    return render(
        request,
        "budgets/partner_scorecard.html",
        {
            "partners": partner_scorecard(company=request.company),
            "manage": manage,
            "share": can(role, Action.PARTNER_BUDGET_SHARE),
            "initiatives": initiatives,
            "invite": can(role, Action.MEMBERS_MANAGE),
            "partner_role": Role.PARTNER,
        },
    )


def _partner(request: HttpRequest, membership_id: int) -> Membership:
    return Membership.objects.select_related("user", "company").get_for_company_or_404(
        request.company, pk=membership_id, role=Role.PARTNER
    )


def _to_scorecard(request: HttpRequest) -> HttpResponse:
    return redirect("budgets:partner_scorecard", company_slug=request.company.slug)


def _report(request: HttpRequest, exc: ValidationError | DomainError) -> None:
    for message in error_messages(exc):
        messages.error(request, message)


@require_POST
@company_view(Action.PARTNERS_MANAGE)
def partner_assign(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _partner(request, membership_id)
    form = AssignForm(request.POST, company=request.company)
    if not form.is_valid():
        messages.error(request, _("Choose an initiative of this company."))
        return _to_scorecard(request)
    initiative = form.cleaned_data["initiative"]
    try:
        initiative_partner_assign(initiative=initiative, membership=membership, actor=request.user)
    except (ValidationError, DomainError) as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s now works on “%(initiative)s”.")
            % {"name": display_name(membership.user), "initiative": initiative.title},
        )
    return _to_scorecard(request)


@require_POST
@company_view(Action.PARTNERS_MANAGE)
def partner_unassign(request: HttpRequest, membership_id: int, initiative_id: int) -> HttpResponse:
    membership = _partner(request, membership_id)
    initiative = get_for_company_or_404(Initiative, request.company, pk=initiative_id)
    initiative_partner_unassign(initiative=initiative, membership=membership, actor=request.user)
    messages.success(
        request,
        _("%(name)s no longer works on “%(initiative)s”.")
        % {"name": display_name(membership.user), "initiative": initiative.title},
    )
    return _to_scorecard(request)


@require_POST
@company_view(Action.PARTNER_BUDGET_SHARE)
def partner_budget_share(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _partner(request, membership_id)
    sees = request.POST.get("sees_budget") == "on"
    try:
        membership_partner_budget_set(membership=membership, sees_budget=sees, actor=request.user)
    except (ValidationError, DomainError) as exc:
        _report(request, exc)
    else:
        message = (
            _("%(name)s now sees the budget lines of their initiatives.")
            if sees
            else _("%(name)s no longer sees budget lines.")
        )
        messages.success(request, message % {"name": display_name(membership.user)})
    return _to_scorecard(request)
