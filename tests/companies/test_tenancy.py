"""Every page and endpoint is scoped to a company the user belongs to; another company's objects answer 404."""

import pytest

from companies.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_page_of_another_company_is_404(company, other_company, client_for, role):
    client = client_for(company, role)
    assert client.get(f"/c/{company.slug}/").status_code == 200
    response = client.get(f"/c/{other_company.slug}/")
    assert response.status_code == 404
    assert other_company.name not in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_api_of_another_company_is_404(company, other_company, api_client_for, role):
    client = api_client_for(company, role)
    assert client.get(f"/api/v1/companies/{company.slug}/").status_code == 200
    response = client.get(f"/api/v1/companies/{other_company.slug}/")
    assert response.status_code == 404
    assert other_company.name not in response.content.decode()
    assert client.get(f"/api/v1/companies/{other_company.slug}/members/").status_code == 404


def test_unknown_company_is_404_like_a_foreign_one(company, client_for):
    client = client_for(company)
    assert client.get("/c/does-not-exist/").status_code == 404


def test_company_list_shows_only_own_companies(company, other_company, api_client_for):
    client = api_client_for(company, Role.CMO)
    response = client.get("/api/v1/companies/")
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()] == ["acme"]
    assert response.json()[0]["role"] == "cmo"
    assert "budget_approve" in response.json()[0]["permissions"]


def test_anonymous_users_are_sent_to_login_and_the_api_refuses(company):
    from django.test import Client

    client = Client()
    response = client.get(f"/c/{company.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get(f"/api/v1/companies/{company.slug}/").status_code == 403


def test_company_switcher_goes_to_the_same_section_of_the_other_company(company, other_company, make_member):
    from django.test import Client

    user = make_member(company, Role.FACILITATOR)
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, company=other_company, role=Role.MEMBER)
    client = Client()
    client.force_login(user)
    page = client.get(f"/c/{company.slug}/").content.decode()
    assert "Other Corp" in page and "Acme Energie" in page
    response = client.get(f"/switch/{other_company.slug}/?section=company_home")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{other_company.slug}/"
    assert client.get(response["Location"]).status_code == 200


def test_switching_to_a_company_you_do_not_belong_to_is_404(company, other_company, client_for):
    client = client_for(company)
    assert client.get(f"/switch/{other_company.slug}/").status_code == 404


def test_inactive_company_is_404(company, client_for):
    client = client_for(company, Role.CMO)
    company.is_active = False
    company.save()
    assert client.get(f"/c/{company.slug}/").status_code == 404
