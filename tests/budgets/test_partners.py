"""External partners: what a partner sees and may do (pages and API), assigning them, sharing budget lines, and the
CMO's partner scorecard against a hand-computed fixture."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from companies.models import Membership
from companies.permissions import Role
from initiatives.models import InitiativePartner
from objectives.models import CheckIn, KeyResult
from tests.factories import (
    CompanyFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)
from tests.factories_budgets import BudgetLineFactory, ChannelFactory, SpendEntryFactory
from tests.initiatives.factories import InitiativeFactory, InitiativePartnerFactory

SECRETS = ("Geheimes Ziel", "Geheimes KR", "Geheime Initiative", "Geheime Budgetzeile", "Greta Geheim")


@dataclass
class PartnerWorld:
    company: object
    partner: object  # the partner's user
    membership: object
    cmo: object
    kr_leads: object
    kr_launch: object
    kr_secret: object
    initiative: object
    output_only: object
    secret_initiative: object
    secret_objective: object


@pytest.fixture
def world(db) -> PartnerWorld:
    """Agentur Nord works on "Kampagne Wärmepumpe" (feeds two key results: leads 40 of 100 → 40 %, launch done →
    100 %) and "Messestand bauen" (feeds none). Lines: 10.000 bound (2.500 spent) and 5.000 unbound on the campaign,
    3.000 unbound (1.000 spent) on the stand, 99.999 rejected; and a secret line of another initiative."""
    company = CompanyFactory(name="Acme Energie", slug="acme")
    cycle = CycleFactory(company=company, name="GJ 2026")
    objective = ObjectiveFactory(cycle=cycle, company=company, title="Marktführerschaft Wärmepumpen")
    kr_leads = KeyResultFactory(objective=objective, title="Qualifizierte Leads", current_value=Decimal("40"))
    kr_launch = KeyResultFactory(
        objective=objective, title="Launch live", kind=KeyResult.Kind.MILESTONE, target_value=1, current_value=1
    )
    secret_objective = ObjectiveFactory(cycle=cycle, company=company, title="Geheimes Ziel")
    kr_secret = KeyResultFactory(objective=secret_objective, title="Geheimes KR")
    cmo = UserFactory(username="cmo", first_name="Markus", last_name="Hoffmann")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=UserFactory(first_name="Greta", last_name="Geheim"), company=company, role=Role.MEMBER)
    partner = UserFactory(username="nord", first_name="Nora", last_name="Nord", email="nora@agentur-nord.example")
    membership = MembershipFactory(user=partner, company=company, role=Role.PARTNER, team="Agentur Nord")
    initiative = InitiativeFactory(
        cycle=cycle, title="Kampagne Wärmepumpe", key_results=[kr_leads, kr_launch], state="active"
    )
    output_only = InitiativeFactory(cycle=cycle, title="Messestand bauen")
    secret_initiative = InitiativeFactory(cycle=cycle, title="Geheime Initiative", key_results=[kr_secret])
    InitiativePartnerFactory(initiative=initiative, membership=membership)
    InitiativePartnerFactory(initiative=output_only, membership=membership)
    channel = ChannelFactory(company=company)
    bound = BudgetLineFactory(
        company=company, cycle=cycle, channel=channel, initiative=initiative, key_result=kr_leads,
        title="Kampagnenbudget", planned_amount=Decimal("10000"), state="submitted",
    )  # fmt: skip
    SpendEntryFactory(line=bound, amount=Decimal("2500"))
    BudgetLineFactory(
        company=company, cycle=cycle, channel=channel, initiative=initiative, title="Landingpage",
        planned_amount=Decimal("5000"),
    )  # fmt: skip
    stand = BudgetLineFactory(
        company=company, cycle=cycle, channel=channel, initiative=output_only, title="Standbau",
        planned_amount=Decimal("3000"),
    )  # fmt: skip
    SpendEntryFactory(line=stand, amount=Decimal("1000"))
    BudgetLineFactory(
        company=company, cycle=cycle, channel=channel, initiative=initiative, title="Abgelehnt",
        planned_amount=Decimal("99999"), state="rejected",
    )  # fmt: skip
    BudgetLineFactory(
        company=company, cycle=cycle, channel=channel, initiative=secret_initiative, title="Geheime Budgetzeile",
        planned_amount=Decimal("7000"),
    )  # fmt: skip
    return PartnerWorld(
        company, partner, membership, cmo, kr_leads, kr_launch, kr_secret, initiative, output_only,
        secret_initiative, secret_objective,
    )  # fmt: skip


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the partner's own area ---------------------------------------------------------------------------------------


def test_the_partner_sees_their_initiatives_and_key_results_and_nothing_else(world):
    response = _client(world.partner).get("/c/acme/partner/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Kampagne Wärmepumpe", "Messestand bauen", "Qualifizierte Leads", "Launch live", "40%", "100%"):
        assert text in body
    for secret in SECRETS:
        assert secret not in body
    assert "Kampagnenbudget" not in body, "budget lines stay hidden until the CMO shares them"


def test_shared_budget_lines_show_read_only_amounts(world):
    world.membership.partner_sees_budget = True
    world.membership.save()
    body = _client(world.partner).get("/c/acme/partner/").content.decode()
    assert "Kampagnenbudget" in body and "€10,000.00" in body and "€2,500.00" in body
    assert "Geheime Budgetzeile" not in body
    assert 'action="/c/acme/budgets/' not in body, "nothing to edit"


@pytest.mark.parametrize(
    "path",
    [
        "/c/acme/cascade/",
        "/c/acme/my-key-results/",
        "/c/acme/priorities/",
        "/c/acme/budgets/",
        "/c/acme/budgets/overview/",
        "/c/acme/board/",
        "/c/acme/members/",
        "/c/acme/history/",
        "/c/acme/partners/",
        "/api/v1/companies/acme/members/",
        "/api/v1/companies/acme/objectives/",
        "/api/v1/companies/acme/key-results/",
        "/api/v1/companies/acme/initiatives/",
        "/api/v1/companies/acme/budget-lines/",
        "/api/v1/companies/acme/cascade/",
        "/api/v1/companies/acme/kpis/",
        "/api/v1/companies/acme/partners/",
    ],
)
def test_the_rest_of_the_company_is_404_for_a_partner_as_for_another_company(world, path):
    response = _client(world.partner).get(path)
    assert response.status_code == 404
    assert _client(world.partner).get(path.replace("acme", "no-such-company")).status_code == 404
    for secret in SECRETS:
        assert secret not in response.content.decode()


def test_their_own_initiative_and_key_result_through_company_pages_are_404_too(world):
    """The partner area is their only door: the cascade's pages stay closed even for the objects they work on."""
    client = _client(world.partner)
    assert client.get(f"/c/acme/priorities/{world.initiative.pk}/").status_code == 404
    assert client.get(f"/c/acme/objectives/{world.kr_leads.objective_id}/").status_code == 404
    assert client.post(f"/c/acme/key-results/{world.kr_leads.pk}/check-in/", {"value": "50"}).status_code == 404


def test_the_partner_checks_in_on_their_key_result(world):
    response = _client(world.partner).post(
        f"/c/acme/partner/key-results/{world.kr_leads.pk}/check-in/",
        {"value": "55", "confidence": "70", "comment": "Webinar lief gut"},
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get(key_result=world.kr_leads)
    assert (check_in.value, check_in.confidence, check_in.author) == (Decimal("55"), Decimal("0.70"), world.partner)
    world.kr_leads.refresh_from_db()
    assert world.kr_leads.current_value == Decimal("55")


def test_a_refused_check_in_shows_why_and_writes_nothing(world):
    response = _client(world.partner).post(
        f"/c/acme/partner/key-results/{world.kr_launch.pk}/check-in/", {"value": "7", "confidence": "50"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_check_in_on_any_other_key_result_is_404(world):
    other = CompanyFactory(slug="other")
    foreign_kr = KeyResultFactory(objective__cycle__company=other, objective__company=other, company=other)
    client = _client(world.partner)
    for kr in (world.kr_secret, foreign_kr):
        response = client.post(f"/c/acme/partner/key-results/{kr.pk}/check-in/", {"value": "1", "confidence": "50"})
        assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_unassigning_takes_the_initiative_out_of_view_at_once(world):
    client = _client(world.partner)
    InitiativePartner.objects.filter(initiative=world.initiative).delete()
    assert "Kampagne Wärmepumpe" not in client.get("/c/acme/partner/").content.decode()
    response = client.post(
        f"/c/acme/partner/key-results/{world.kr_leads.pk}/check-in/", {"value": "1", "confidence": "50"}
    )
    assert response.status_code == 404


# --- the API: an adversarial partner ------------------------------------------------------------------------------


def test_api_lists_the_partners_initiatives_with_key_results(world):
    response = _api(world.partner).get("/api/v1/companies/acme/partner/initiatives/")
    assert response.status_code == 200
    data = response.json()
    assert [i["title"] for i in data] == ["Kampagne Wärmepumpe", "Messestand bauen"]
    assert [(k["title"], k["progress"]) for k in data[0]["key_results"]] == [
        ("Qualifizierte Leads", "0.4000"),
        ("Launch live", "1.0000"),
    ]
    assert data[0]["budget_lines"] is None
    world.membership.partner_sees_budget = True
    world.membership.save()
    data = _api(world.partner).get("/api/v1/companies/acme/partner/initiatives/").json()
    assert [(b["title"], b["planned_amount"], b["actual"]) for b in data[0]["budget_lines"]] == [
        ("Abgelehnt", "99999.00", "0.00"),
        ("Kampagnenbudget", "10000.00", "2500.00"),
        ("Landingpage", "5000.00", "0.00"),
    ]
    assert "Geheim" not in response.content.decode()


def test_api_check_in_by_the_partner(world):
    client = _api(world.partner)
    url = f"/api/v1/companies/acme/partner/key-results/{world.kr_leads.pk}/check-ins/"
    response = client.post(url, {"value": "61", "confidence": "0.8"}, format="json")
    assert response.status_code == 201, response.content
    assert client.get(url).json()[0]["value"] == "61.0000"


def test_api_refused_partner_check_in_answers_like_the_cascade_api(world):
    """One check-in endpoint behind both surfaces: a bad value is the same 400 {"detail", "field", "code"} the
    cascade API gives, and nothing is written."""
    from objectives.models import CheckIn

    client = _api(world.partner)
    url = f"/api/v1/companies/acme/partner/key-results/{world.kr_leads.pk}/check-ins/"
    before = CheckIn.objects.count()
    response = client.post(url, {"value": "sixty", "confidence": "0.8"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "value" and body["code"] == "invalid" and body["detail"]
    assert CheckIn.objects.count() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/companies/acme/key-results/{secret}/check-ins/", None),
        ("post", "/api/v1/companies/acme/key-results/{secret}/check-ins/", {"value": "1", "confidence": "0.5"}),
        ("post", "/api/v1/companies/acme/key-results/{own}/check-ins/", {"value": "1", "confidence": "0.5"}),
        ("get", "/api/v1/companies/acme/partner/key-results/{secret}/check-ins/", None),
        ("post", "/api/v1/companies/acme/partner/key-results/{secret}/check-ins/", {"value": "1", "confidence": "0.5"}),
        ("get", "/api/v1/companies/acme/key-results/{own}/", None),
        ("patch", "/api/v1/companies/acme/key-results/{own}/", {"title": "Umbenannt"}),
        ("get", "/api/v1/companies/acme/objectives/{objective}/", None),
        ("get", "/api/v1/companies/acme/initiatives/{initiative}/", None),
        ("patch", "/api/v1/companies/acme/initiatives/{initiative}/", {"title": "Umbenannt"}),
        ("post", "/api/v1/companies/acme/initiatives/{initiative}/activate/", {}),
        ("get", "/api/v1/companies/acme/members/{membership}/", None),
        ("patch", "/api/v1/companies/acme/members/{membership}/", {"role": "cmo"}),
        ("post", "/api/v1/companies/acme/invitations/", {"email": "x@example.com", "role": "partner"}),
        ("patch", "/api/v1/companies/acme/partners/{membership}/", {"sees_budget": True}),
        ("post", "/api/v1/companies/acme/partners/{membership}/initiatives/", {"initiative": "{secret_initiative}"}),
        ("delete", "/api/v1/companies/acme/partners/{membership}/initiatives/{initiative}/", None),
        ("post", "/api/v1/companies/acme/budget-lines/", {"title": "Mehr Geld", "planned_amount": "1"}),
        ("get", "/api/v1/companies/acme/history/", None),
    ],
)
def test_api_adversarial_partner_gets_404_and_writes_nothing(world, method, path, body):
    ids = {
        "secret": world.kr_secret.pk,
        "own": world.kr_leads.pk,
        "objective": world.kr_leads.objective_id,
        "initiative": world.initiative.pk,
        "secret_initiative": world.secret_initiative.pk,
        "membership": world.membership.pk,
    }
    path = path.format(**ids)
    if body:
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    before = (CheckIn.objects.count(), InitiativePartner.objects.count(), Membership.objects.count())
    response = getattr(_api(world.partner), method)(path, body, format="json")
    assert response.status_code == 404, (path, response.status_code)
    for secret in SECRETS:
        assert secret not in response.content.decode()
    assert (CheckIn.objects.count(), InitiativePartner.objects.count(), Membership.objects.count()) == before
    world.membership.refresh_from_db()
    assert world.membership.role == Role.PARTNER and not world.membership.partner_sees_budget


# --- the CMO: assignments, budget sharing, the scorecard ------------------------------------------------------------


def test_scorecard_against_the_hand_computed_fixture(world):
    response = _api(world.cmo).get("/api/v1/companies/acme/partners/")
    assert response.status_code == 200
    [score] = response.json()
    assert score["name"] == "Nora Nord" and score["team"] == "Agentur Nord"
    assert score["key_result_count"] == 2
    assert score["progress"] == "0.7000"  # (40 % + 100 %) / 2
    assert (score["planned"], score["bound"], score["actual"]) == ("18000.00", "10000.00", "3500.00")
    assert score["output_only"] == [world.output_only.pk]
    campaign = score["initiatives"][0]
    assert (campaign["title"], campaign["planned"], campaign["bound"], campaign["actual"]) == (
        "Kampagne Wärmepumpe", "15000.00", "10000.00", "2500.00",
    )  # fmt: skip


def test_scorecard_page_shows_the_figures(world):
    body = _client(world.cmo).get("/c/acme/partners/").content.decode()
    assert "Nora Nord" in body
    assert "€10,000.00" in body and "€18,000.00" in body and "€3,500.00" in body and "70%" in body
    assert "Only output: 1 initiative feeds no key result." in body
    assert "Geheime Initiative" in body, "the CMO picks from every initiative to assign"


def test_scorecard_page_in_german(world):
    client = _client(world.cmo)
    client.cookies["django_language"] = "de"
    body = client.get("/c/acme/partners/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Partner-Scorecard" in body and "10.000,00" in body


def _grow(world, n: int) -> None:
    for i in range(n):
        user = UserFactory()
        membership = MembershipFactory(user=user, company=world.company, role=Role.PARTNER)
        kr = KeyResultFactory(objective=world.secret_objective, current_value=Decimal("10"))
        initiative = InitiativeFactory(cycle=world.initiative.cycle, title=f"Agenturprojekt {i}", key_results=[kr])
        InitiativePartnerFactory(initiative=initiative, membership=membership)
        line = BudgetLineFactory(
            company=world.company, cycle=world.initiative.cycle, channel=ChannelFactory(company=world.company),
            initiative=initiative, key_result=kr,
        )  # fmt: skip
        SpendEntryFactory(line=line)


@pytest.mark.parametrize("extra", [0, 12])
def test_scorecard_and_partner_pages_keep_their_query_count(world, extra, django_assert_max_num_queries):
    _grow(world, extra)
    cmo, partner = _client(world.cmo), _client(world.partner)
    world.membership.partner_sees_budget = True
    world.membership.save()
    with django_assert_max_num_queries(16):
        assert cmo.get("/c/acme/partners/").status_code == 200
    with django_assert_max_num_queries(8):
        assert _api(world.cmo).get("/api/v1/companies/acme/partners/").status_code == 200
    with django_assert_max_num_queries(14):
        assert partner.get("/c/acme/partner/").status_code == 200
    with django_assert_max_num_queries(8):
        assert _api(world.partner).get("/api/v1/companies/acme/partner/initiatives/").status_code == 200


def test_cmo_assigns_and_unassigns_a_partner_on_the_page(world):
    client = _client(world.cmo)
    url = f"/c/acme/partners/{world.membership.pk}/initiatives/"
    response = client.post(url, {"initiative": world.secret_initiative.pk}, follow=True)
    assert "Nora Nord now works on “Geheime Initiative”." in response.content.decode()
    assert "Geheime Initiative" in _client(world.partner).get("/c/acme/partner/").content.decode()
    client.post(f"/c/acme/partners/{world.membership.pk}/initiatives/{world.secret_initiative.pk}/remove/")
    assert "Geheime Initiative" not in _client(world.partner).get("/c/acme/partner/").content.decode()


def test_only_partners_are_assigned(world):
    member = Membership.objects.get(user__last_name="Geheim")
    response = _api(world.cmo).post(
        f"/api/v1/companies/acme/partners/{member.pk}/initiatives/", {"initiative": world.initiative.pk}, format="json"
    )
    assert response.status_code == 404  # a member is not a partner: no such partner
    member.role = Role.PARTNER
    member.save()
    response = _api(world.cmo).post(
        f"/api/v1/companies/acme/partners/{member.pk}/initiatives/", {"initiative": 987654}, format="json"
    )
    assert response.status_code == 400 and "No such initiative" in response.content.decode()


def test_cmo_shares_budget_lines_a_facilitator_may_not(world, make_member):
    url = f"/c/acme/partners/{world.membership.pk}/budget/"
    facilitator = make_member(world.company, Role.FACILITATOR)
    assert _client(facilitator).post(url, {"sees_budget": "on"}).status_code == 403
    world.membership.refresh_from_db()
    assert not world.membership.partner_sees_budget
    response = _client(world.cmo).post(url, {"sees_budget": "on"}, follow=True)
    assert "Nora Nord now sees the budget lines of their initiatives." in response.content.decode()
    world.membership.refresh_from_db()
    assert world.membership.partner_sees_budget
    response = _api(world.cmo).patch(f"/api/v1/companies/acme/partners/{world.membership.pk}/", {"sees_budget": False})
    assert response.status_code == 200 and response.json() == {"sees_budget": False}


def test_assignments_are_in_history(world):
    from history.models import ChangeRecord

    before = ChangeRecord.objects.count()
    _client(world.cmo).post(
        f"/c/acme/partners/{world.membership.pk}/initiatives/", {"initiative": world.secret_initiative.pk}
    )
    assert ChangeRecord.objects.count() == before + 1
    assert ChangeRecord.objects.order_by("-pk").first().actor == world.cmo


def test_nav_shows_partner_their_area_and_the_cmo_the_scorecard(world):
    partner_body = _client(world.partner).get("/c/acme/").content.decode()
    assert 'href="/c/acme/partner/"' in partner_body and 'href="/c/acme/cascade/"' not in partner_body
    assert 'href="/c/acme/partners/"' in _client(world.cmo).get("/c/acme/").content.decode()
