"""Issue 13's consistency items, end to end: numbers typed or imported by the person's language on every path,
percentages by locale on pages, a refused rule answered the same way by every API, and people named the same way
by every API."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.utils import translation

from budgets import imports
from budgets.models import BudgetLine
from companies.models import Membership
from companies.permissions import Role
from core import numbers
from objectives.models import KeyResult
from objectives.services import cascade_io
from tests.budgets.conftest import world  # noqa: F401 - the budgets world (company, cycle, kr, channel, roles)
from tests.factories import CycleFactory
from tests.factories_budgets import BudgetLineFactory
from tests.factories_review import ReviewActionFactory

pytestmark = pytest.mark.django_db

TYPED = [
    ("de", "4.500", "4500"),
    ("de", "4.500,50", "4500.50"),
    ("de", "1.234.567,89", "1234567.89"),
    ("en", "4,500.50", "4500.50"),
]


# ------------------------------------------------------------------------------------------------ numbers in


@pytest.mark.parametrize(
    ("cell", "kwargs", "expected"),
    [
        ("4.500", {"max_decimals": 2}, "4500"),
        ("4,500", {"max_decimals": 2}, "4500"),
        ("4.500", {"language": "de"}, "4500"),
        ("4,500", {"language": "en"}, "4500"),
        # The other separator stays the decimal one, and without a hint our own exports' "4.500" is 4.5.
        ("4,500", {"language": "de"}, "4.5"),
        ("4.500", {"language": "en"}, "4.5"),
        ("4.500", {}, "4.5"),
        # A number starting with 0 is never grouped; two decimals are never a group.
        ("0.125", {"language": "de"}, "0.125"),
        ("4.50", {"language": "de"}, "4.5"),
        ("12.345.678", {"language": "en"}, "12345678"),
    ],
)
def test_an_ambiguous_file_cell_is_read_by_the_column_or_the_language(cell, kwargs, expected):
    assert numbers.parse_file_decimal(cell, **kwargs) == Decimal(expected)


@pytest.mark.parametrize(("language", "typed", "expected"), TYPED)
def test_budget_form_reads_the_amount_by_the_language(world, client_for, settings, language, typed, expected):  # noqa: F811
    settings.LANGUAGE_CODE = language
    client = client_for(world.company, Role.MEMBER)
    response = client.post(
        f"/c/{world.company.slug}/budgets/new/",
        {"title": "Messe", "cycle": world.cycle.pk, "channel": world.channel.pk, "planned_amount": typed},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert BudgetLine.objects.get(title="Messe").planned_amount == Decimal(expected)


@pytest.mark.parametrize(("language", "typed", "expected"), TYPED)
def test_budget_import_reads_the_amounts(world, language, typed, expected):  # noqa: F811
    text = f'title,channel,amount\nMesse,Messen,"{typed}"\n'
    with translation.override(language):
        count = imports.budget_lines_import_csv(
            company=world.company, upload=io.BytesIO(text.encode()), actor=world.cmo, default_cycle=world.cycle
        )
    assert count == 1
    assert BudgetLine.objects.get(title="Messe").planned_amount == Decimal(expected)


@pytest.mark.parametrize(("language", "typed", "expected"), TYPED)
def test_cascade_import_reads_the_values_by_the_language(company, make_member, language, typed, expected):
    facilitator = make_member(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    content = (
        "path;type;title;kind;start_value;target_value;current_value\n"
        "1;objective;Wachsen;;;;\n"
        f"1.K1;key result;Umsatz;increase_to;0;{typed};\n"
    ).encode()
    with translation.override(language):
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=io.BytesIO(content), filename="plan.csv", actor=facilitator
        )
    assert KeyResult.objects.get(title="Umsatz").target_value == Decimal(expected)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1.125", "0.5", "50"], "en"),  # our own CSV export: "0.5" decides
        (["4.500", "0,5"], "de"),
        (["1.234,56"], "de"),
        (["1,234.56"], "en"),
        (["1.234.567"], "de"),
        (["4.500", "1.125", "50", ""], None),  # nothing decides: the person's language will
        (["0,5", "0.5"], None),  # contradicting cells decide nothing
    ],
)
def test_a_files_number_convention_is_read_from_its_cells(cells, expected):
    assert numbers.file_number_language(cells) == expected


def test_a_german_user_reimports_our_csv_export_with_three_decimals_unchanged(company, make_member):
    """Our CSV export writes plain decimals ("1.125", "0.5"); a German re-import must not read "1.125" as 1125."""
    facilitator = make_member(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    content = (
        b"path,type,title,kind,start_value,target_value,current_value,weight\n"
        b"1,objective,Wachsen,,,,,\n"
        b"1.K1,key result,Conversion,increase_to,0,1.125,0.5,1\n"
    )
    with translation.override("de"):
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=io.BytesIO(content), filename="plan.csv", actor=facilitator
        )
    key_result = KeyResult.objects.get(title="Conversion")
    assert (key_result.target_value, key_result.current_value) == (Decimal("1.125"), Decimal("0.5"))


# ----------------------------------------------------------------------------------------------- numbers out


@pytest.mark.parametrize(("language", "shown", "not_shown"), [("de", "63 %", "63%"), ("en", "63%", "63 %")])
def test_percentages_by_locale_on_the_budget_overview(world, client_for, settings, language, shown, not_shown):  # noqa: F811
    settings.LANGUAGE_CODE = language
    world.line(amount="6300.00", bound=True, submit=True)
    world.line(amount="3700.00", bound=False, submit=False, title="Unbound draft")
    client = client_for(world.company, Role.CMO)
    html = client.get(
        f"/c/{world.company.slug}/budgets/overview/?cycle={world.cycle.pk}", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    share = re.search(r'data-testid="bound-share">([^<]*)<', html).group(1).replace("\u00a0", " ")
    assert share == shown and share != not_shown


# ------------------------------------------------------------------------------------------ one error mapping


def _assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) >= {"detail", "field", "code"}
    assert body["field"] == field and body["detail"] == body[field][0] and body["code"]


def test_review_companies_and_budgets_apis_answer_a_refused_rule_with_400(
    world,  # noqa: F811
    api_client_for,
    other_company,
    make_member,
):
    base = f"/api/v1/companies/{world.company.slug}"
    stranger = make_member(other_company, Role.MEMBER)
    cmo = api_client_for(world.company, Role.CMO)
    review = cmo.post(
        f"{base}/review/actions/", {"title": "Follow up", "owner": stranger.pk, "due_date": "2026-12-31"}, format="json"
    )
    _assert_refused(review, "owner")
    invitation = cmo.post(f"{base}/invitations/", {"email": world.member.email, "role": "member"}, format="json")
    _assert_refused(invitation, "email")
    line = world.line(bound=False)
    budget = cmo.post(f"{base}/budget-lines/{line.pk}/approve/", {"version": line.version}, format="json")
    _assert_refused(budget, "key_result")


# --------------------------------------------------------------------------------------------- display names


@pytest.mark.parametrize(("first", "last", "shown"), [("Paula", "Prinz", "Paula Prinz"), ("", "", "paula.prinz")])
def test_every_api_names_a_person_the_same_way(company, api_client_for, make_member, first, last, shown):
    paula = make_member(company, Role.PARTNER, username="paula.prinz", first_name=first, last_name=last)
    membership = Membership.objects.get(user=paula)
    cycle = CycleFactory(company=company)
    line = BudgetLineFactory(company=company, cycle=cycle, requester=paula)
    ReviewActionFactory(company=company, owner=paula, created_by=paula)
    base = f"/api/v1/companies/{company.slug}"
    client = api_client_for(company, Role.FACILITATOR)
    names = {
        "budget line requester": client.get(f"{base}/budget-lines/{line.pk}/").json()["requester"],
        "review action owner": client.get(f"{base}/review/actions/").json()[0]["owner"],
        "member": client.get(f"{base}/members/{membership.pk}/").json()["name"],
        "partner": next(p["name"] for p in client.get(f"{base}/partners/").json() if p["membership"] == membership.pk),
    }
    assert names == dict.fromkeys(names, shown)
