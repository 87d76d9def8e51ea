import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from companies.demo import DEMO_PASSWORD
from companies.models import Company, Membership
from companies.permissions import Role

pytestmark = pytest.mark.django_db


def _counts():
    from django.apps import apps

    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_load_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("load_demo")
    first = _counts()
    out = capsys.readouterr().out
    for username in ["lena.berger", "markus.hoffmann", "petra.schulz", "jonas.weber", "kai.lorenz"]:
        assert username in out
    # The role names in both languages, exactly as README, menu and members page say them.
    for line in ("lena.berger        Facilitator / Moderation", "markus.hoffmann    CMO",
                 "petra.schulz       Executive / Geschäftsführung", "jonas.weber        Member / Mitglied",
                 "kai.lorenz         Partner"):  # fmt: skip
        assert line in out
    assert DEMO_PASSWORD in out
    call_command("load_demo", snapshots=False)
    assert _counts() == first


def test_demo_company_has_one_login_per_role_and_a_marketing_team():
    call_command("load_demo", snapshots=False)
    company = Company.objects.get(slug="voltaria")
    assert company.name == "Voltaria Energie AG"
    roles = {m.user.username: m.role for m in Membership.objects.filter(company=company).select_related("user")}
    assert roles["lena.berger"] == Role.FACILITATOR
    assert roles["markus.hoffmann"] == Role.CMO
    assert roles["petra.schulz"] == Role.EXECUTIVE
    assert roles["jonas.weber"] == Role.MEMBER
    marketing = Membership.objects.filter(
        company=company,
        team__name__in=["Produktmarketing", "Digital Marketing", "Events & Messen", "Marketing Operations"],
    )
    assert 13 <= marketing.count() <= 17
    assert get_user_model().objects.get(username="jonas.weber").check_password(DEMO_PASSWORD)


@pytest.mark.parametrize("username", ["lena.berger", "markus.hoffmann", "petra.schulz", "jonas.weber"])
def test_each_demo_login_works(client, username):
    call_command("load_demo", snapshots=False)
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/", follow=True)
    assert page.status_code == 200
    assert "Voltaria Energie AG" in page.content.decode()


def test_the_demo_partner_sees_the_webinar_series_only(client):
    call_command("load_demo", snapshots=False)
    client.post("/login/", {"username": "kai.lorenz", "password": DEMO_PASSWORD})
    page = client.get("/c/voltaria/partner/").content.decode()
    # The demo people read German; the CMO shares the budget lines with the demo partner.
    assert "Webinar-Reihe „Netzstabilität kompakt“" in page
    assert "ABM-Programm" not in page
    assert 'data-testid="partner-budget"' in page or "Keine Budgetzeilen für diese Initiative." in page
    assert client.get("/c/voltaria/cascade/").status_code == 404


def test_full_demo_board_shows_figures_without_a_refresh(client):
    from reporting.models import KpiSnapshot

    call_command("load_demo")
    company = Company.objects.get(slug="voltaria")
    keys = set(KpiSnapshot.objects.filter(company=company).values_list("kpi", flat=True))
    assert {"pipeline_contribution", "cost_per_qualified_lead", "funnel_conversion", "budget_bound_share"} <= keys
    client.post("/login/", {"username": "petra.schulz", "password": DEMO_PASSWORD})
    page = client.get("/c/voltaria/board/").content.decode()
    assert "board-empty" not in page
    assert 'data-kpi="pipeline_contribution"' in page
    assert page.count('data-testid="kpi-tile"') >= 8
