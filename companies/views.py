"""Company pages: home (the user's first company), the company overview with the permission table, and
switching to the same section in another company."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from .models import Membership
from .permissions import ACTION_LABELS, PERMISSIONS, Action, Role, can
from .tenancy import company_view, membership_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their (first) company; explain when they belong to none."""
    membership = (
        Membership.objects.select_related("company")
        .filter(user=request.user, company__is_active=True)
        .order_by("company__name")
        .first()
    )
    if membership is None:
        return render(request, "companies/no_company.html", status=200)
    return redirect("company_home", company_slug=membership.company.slug)


@company_view()
def company_home(request: HttpRequest) -> HttpResponse:
    members = (
        Membership.objects.for_company(request.company)
        .select_related("user", "team")
        .order_by("role", "user__last_name")
    )
    role = request.membership.role
    table = [
        {
            "label": ACTION_LABELS[action],
            "roles": [action in PERMISSIONS[r] for r in Role.values],
            "mine": action in PERMISSIONS[role],
        }
        for action in Action
    ]
    return render(
        request,
        "companies/company_home.html",
        {
            "members": members if can(request.membership.role, Action.MEMBERS_VIEW) else None,
            "roles": Role.choices,
            "permission_table": table,
        },
    )


@login_required
def company_switch(request: HttpRequest, company_slug: str) -> HttpResponse:
    """Go to the same section in another company; detail pages fall back to the section or the overview."""
    membership = membership_for(request.user, company_slug)
    target = request.GET.get("section", "")
    if target:
        try:
            return redirect(reverse(target, kwargs={"company_slug": membership.company.slug}))
        except NoReverseMatch:
            pass
    return redirect("company_home", company_slug=membership.company.slug)
