"""core.tenancy, the tenancy base: a company-scoped query returns the company's rows only, and another company's row
is a 404 through it (on pages and in the API alike)."""

import pytest
from django.http import Http404
from django.test import RequestFactory

from budgets.models import BudgetAuditEntry, Channel
from companies.models import Membership
from companies.permissions import Role
from core.tenancy import CompanyQuerySet, company_from_request, for_company, get_for_company_or_404
from objectives.models import Cycle
from tests.factories import CycleFactory, MembershipFactory
from tests.factories_budgets import BudgetLineFactory, ChannelFactory

pytestmark = pytest.mark.django_db


def test_manager_scopes_to_the_company(company, other_company):
    own = ChannelFactory(company=company, name="Events")
    ChannelFactory(company=other_company, name="Messen")
    assert isinstance(Channel.objects.all(), CompanyQuerySet)
    assert list(Channel.objects.for_company(company)) == [own]
    assert list(Channel.objects.for_company(company.pk)) == [own]


def test_get_for_company_or_404_refuses_another_companys_row(company, other_company):
    own = ChannelFactory(company=company)
    foreign = ChannelFactory(company=other_company)
    assert Channel.objects.get_for_company_or_404(company, pk=own.pk) == own
    with pytest.raises(Http404):
        Channel.objects.get_for_company_or_404(company, pk=foreign.pk)
    with pytest.raises(Http404):
        Channel.objects.get_for_company_or_404(company, pk=own.pk + foreign.pk + 1000)
    assert Channel.objects.first_for_company(company, pk=foreign.pk) is None


def test_functions_scope_any_model_with_a_company_field(company, other_company):
    """Models of apps that do not use CompanyManager yet (here the cascade's Cycle) are scoped the same way."""
    own = CycleFactory(company=company)
    foreign = CycleFactory(company=other_company)
    assert list(for_company(Cycle, company)) == [own]
    assert list(for_company(Cycle.objects.order_by("pk"), other_company)) == [foreign]
    assert get_for_company_or_404(Cycle, company, pk=own.pk) == own
    with pytest.raises(Http404):
        get_for_company_or_404(Cycle, company, pk=foreign.pk)


def test_a_missing_company_is_an_error_not_an_unscoped_query(company):
    ChannelFactory(company=company)
    with pytest.raises(TypeError):
        Channel.objects.for_company(None)
    with pytest.raises(TypeError):
        for_company(Cycle, None)


def test_company_from_request(company):
    request = RequestFactory().get("/")
    with pytest.raises(Http404):
        company_from_request(request)
    request.company = company
    assert company_from_request(request) == company


def test_append_only_rows_keep_the_company_scope_and_refuse_bulk_writes(company, other_company):
    line = BudgetLineFactory(company=company)
    BudgetAuditEntry.objects.create(company=company, line=line, event="create", amount=line.planned_amount)
    assert BudgetAuditEntry.objects.for_company(company).count() == 1
    assert BudgetAuditEntry.objects.for_company(other_company).count() == 0
    with pytest.raises(ValueError, match="Audit entries are append-only"):
        BudgetAuditEntry.objects.for_company(company).update(reason="x")
    with pytest.raises(ValueError, match="Audit entries are append-only"):
        BudgetAuditEntry.objects.all().delete()


def test_member_page_and_api_answer_404_for_another_companys_membership(
    company, other_company, client_for, api_client_for
):
    foreign = MembershipFactory(company=other_company, role=Role.MEMBER)
    own = MembershipFactory(company=company, role=Role.MEMBER)
    api = api_client_for(company, Role.FACILITATOR)
    assert api.get(f"/api/v1/companies/{company.slug}/members/{own.pk}/").status_code == 200
    response = api.get(f"/api/v1/companies/{company.slug}/members/{foreign.pk}/")
    assert response.status_code == 404
    assert foreign.user.username not in response.content.decode()
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_partner_pages_and_api_answer_404_for_another_companys_partner(
    company, other_company, client_for, api_client_for
):
    foreign = MembershipFactory(company=other_company, role=Role.PARTNER)
    page = client_for(company, Role.CMO)
    response = page.post(f"/c/{company.slug}/partners/{foreign.pk}/budget/", {"sees_budget": "on"})
    assert response.status_code == 404
    api = api_client_for(company, Role.CMO)
    url = f"/api/v1/companies/{company.slug}/partners/{foreign.pk}/"
    assert api.patch(url, {"sees_budget": True}, format="json").status_code == 404
    foreign.refresh_from_db()
    assert foreign.partner_sees_budget is False
