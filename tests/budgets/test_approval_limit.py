"""Issue 12, finding 1: only executives change the CMO approval limit, on every path, and every change is in History.

Before the fix a CMO could POST ``action=limit`` with 999,999,999 and then approve a 900,000 € line alone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from budgets import services
from budgets.models import BudgetSettings
from companies.permissions import Action, Role, can
from core.errors import PermissionDenied
from history.models import ChangeRecord

pytestmark = pytest.mark.django_db

LIMIT_INPUT = 'name="limit-cmo_approval_limit"'


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def settings_page(world) -> str:
    return f"/c/{world.company.slug}/budgets/settings/"


def settings_api(world) -> str:
    return f"/api/v1/companies/{world.company.slug}/budget-settings/"


def limit_of(world) -> Decimal:
    return BudgetSettings.objects.get(company=world.company).cmo_approval_limit


def limit_changes(world):
    return ChangeRecord.objects.filter(
        company=world.company, content_type__model="budgetsettings", action="updated"
    ).order_by("pk")


def test_only_executives_hold_the_limit_permission():
    assert [role for role in Role if can(role, Action.BUDGET_LIMITS_MANAGE)] == [Role.EXECUTIVE]


def test_cmo_cannot_raise_their_own_limit_on_the_page_and_then_approve_alone(world):
    cmo = login(world.cmo)
    html = cmo.get(settings_page(world)).content.decode()
    assert LIMIT_INPUT not in html
    assert "€50,000" in html
    assert "Only an executive can change the approval limit" in html

    response = cmo.post(settings_page(world), {"action": "limit", "limit-cmo_approval_limit": "999999999"})
    assert response.status_code == 403
    assert "Change the CMO approval limit" in response.content.decode()
    assert limit_of(world) == Decimal("50000.00")
    assert not limit_changes(world).exists()

    big = world.line(amount="900000.00")
    line = services.budget_line_approve(line=big, actor=world.cmo)
    assert line.state == "submitted" and line.cmo_approved_by == world.cmo and line.approver is None


def test_cmo_cannot_change_the_limit_through_the_api_or_the_service(world):
    response = api(world.cmo).patch(settings_api(world), {"cmo_approval_limit": "999999999"}, format="json")
    assert response.status_code == 403
    assert "Change the CMO approval limit" in response.json()["detail"]
    assert api(world.cmo).put(settings_api(world), {"cmo_approval_limit": "1"}, format="json").status_code == 403
    with pytest.raises(PermissionDenied):
        services.budget_settings_update(company=world.company, cmo_approval_limit=Decimal("999999999"), actor=world.cmo)
    assert limit_of(world) == Decimal("50000.00")
    assert not limit_changes(world).exists()
    read = api(world.cmo).get(settings_api(world))
    assert read.status_code == 200
    assert read.json() == {
        "cmo_approval_limit": "50000.00",
        "currency": "EUR",
        "may_change": False,
        "last_changed_by": None,
        "last_changed_at": None,
    }


def test_executive_changes_the_limit_on_the_page_and_history_shows_who_when_before_after(world):
    executive = login(world.executive)
    assert LIMIT_INPUT in executive.get(settings_page(world)).content.decode()
    response = executive.post(settings_page(world), {"action": "limit", "limit-cmo_approval_limit": "25,000.00"})
    assert response.status_code == 302
    assert limit_of(world) == Decimal("25000.00")
    (record,) = limit_changes(world)
    assert record.actor == world.executive
    assert record.changes == {"cmo_approval_limit": ["50000", "25000"]}

    html = login(world.cmo).get(settings_page(world)).content.decode()
    assert "Last changed by Petra Schulz" in html

    history = executive.get(reverse("history", kwargs={"company_slug": world.company.slug}))
    assert history.status_code == 200
    text = history.content.decode()
    assert "<td>Budget settings</td>" in text
    assert "<dt>CMO approval limit</dt><dd>50,000 → 25,000</dd>" in text  # numbers as the reader writes them
    filtered = executive.get(
        reverse("history", kwargs={"company_slug": world.company.slug}), {"type": "budgetsettings"}
    )
    assert "<dt>CMO approval limit</dt>" in filtered.content.decode()


def test_executive_changes_the_limit_through_the_api_and_it_is_in_the_history_api(world):
    response = api(world.executive).patch(settings_api(world), {"cmo_approval_limit": "75000.50"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["cmo_approval_limit"] == "75000.50" and data["may_change"] is True
    assert data["last_changed_by"] == "Petra Schulz" and data["last_changed_at"]
    bad = api(world.executive).patch(settings_api(world), {"cmo_approval_limit": "-1"}, format="json")
    assert bad.status_code == 400 and "cmo_approval_limit" in bad.json()
    assert limit_of(world) == Decimal("75000.50")
    history = api(world.executive).get(
        reverse("api-history", kwargs={"company_slug": world.company.slug}), {"type": "budgetsettings"}
    )
    assert history.status_code == 200
    (entry,) = [r for r in history.json()["results"] if r["action"] == "updated"]
    assert entry["actor"] == "Petra Schulz"
    assert entry["changes"] == {"cmo_approval_limit": ["50000", "75000.5"]}


def test_a_service_call_outside_a_request_is_attributed_to_the_executive(world):
    services.budget_settings_update(company=world.company, cmo_approval_limit=Decimal("1000"), actor=world.executive)
    (record,) = limit_changes(world)
    assert record.actor == world.executive


def test_first_use_creates_the_default_as_the_system_not_as_the_viewer(company, make_member):
    cmo = make_member(company, Role.CMO)
    assert login(cmo).get(f"/c/{company.slug}/budgets/settings/").status_code == 200
    created = ChangeRecord.objects.get(company=company, content_type__model="budgetsettings")
    assert created.action == "created" and created.actor is None


def test_admin_change_of_the_limit_goes_through_the_service_and_is_recorded(world, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    settings = services.budget_settings_for(world.company)
    response = login(admin_user).post(
        f"/admin/budgets/budgetsettings/{settings.pk}/change/", {"cmo_approval_limit": "60000.00"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert limit_of(world) == Decimal("60000.00")
    (record,) = limit_changes(world)
    assert record.actor == admin_user


def test_executive_sees_history_in_the_navigation(world):
    html = login(world.executive).get(settings_page(world)).content.decode()
    assert f'href="/c/{world.company.slug}/history/"' in html
