"""Change history: who changed which objective, key result, initiative or budget line, when, before/after."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from budgets.models import BudgetLine
from companies.permissions import Role
from history.models import ChangeRecord
from history.tracking import history_actor
from objectives.models import Objective
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import BudgetLineFactory, ChannelFactory
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _records(obj):
    return list(ChangeRecord.objects.filter(object_id=obj.pk, content_type__model=type(obj).__name__.lower()))


@pytest.mark.parametrize(
    ("make", "field", "new_value", "expected_before", "expected_after"),
    [
        (lambda c: ObjectiveFactory(cycle=CycleFactory(company=c), title="Old title"), "title", "New title",
         "Old title", "New title"),
        (lambda c: KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=c)),
                                    target_value=Decimal("100")), "target_value", Decimal("250.5"), "100", "250.5"),
        (lambda c: InitiativeFactory(company=c, cycle=CycleFactory(company=c), title="Webinar"), "title",
         "Webinar series", "Webinar", "Webinar series"),
        (lambda c: BudgetLineFactory(company=c, planned_amount=Decimal("1000.00")), "planned_amount",
         Decimal("1500.00"), "1000", "1500"),
    ],
    ids=["objective", "key_result", "initiative", "budget_line"],
)  # fmt: skip
def test_create_update_delete_record_who_when_before_after(
    company, make_member, make, field, new_value, expected_before, expected_after
):
    editor = make_member(company, Role.FACILITATOR)
    start = timezone.now()
    with history_actor(editor):
        obj = make(company)
        setattr(obj, field, new_value)
        obj.save()
    created, updated = sorted(_records(obj), key=lambda r: r.pk)
    assert created.action == "created" and created.company == company
    assert updated.action == "updated"
    assert updated.actor == editor
    assert start <= updated.at <= timezone.now()
    assert updated.changes == {field: [expected_before, expected_after]}
    assert updated.object_label == str(obj)

    pk, model = obj.pk, type(obj)
    if model is BudgetLine:
        obj.delete()
    else:
        model.objects.filter(pk=pk).first().delete()
    deleted = ChangeRecord.objects.filter(object_id=pk, action="deleted").get()
    assert deleted.changes[field] == [expected_after, None]
    assert deleted.actor is None  # outside history_actor and any request: nobody known


def test_an_unchanged_save_records_nothing(company):
    objective = ObjectiveFactory(cycle=CycleFactory(company=company))
    before = ChangeRecord.objects.count()
    Objective.objects.get(pk=objective.pk).save()
    assert ChangeRecord.objects.count() == before


def test_api_change_is_attributed_to_the_token_user(company, make_member, api_client_for):
    facilitator = make_member(company, Role.CMO)
    line = BudgetLineFactory(company=company, channel=ChannelFactory(company=company), requester=facilitator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=facilitator).key}")
    url = reverse("api-budget-lines-detail", kwargs={"company_slug": company.slug, "pk": line.pk})
    response = client.patch(url, {"title": "Trade fair 2027", "version": line.version}, format="json")
    assert response.status_code == 200, response.content
    record = ChangeRecord.objects.get(object_id=line.pk, action="updated")
    assert record.actor == facilitator
    assert record.changes["title"] == [line.title, "Trade fair 2027"]

    history = api_client_for(company, Role.EXECUTIVE).get(
        reverse("api-history", kwargs={"company_slug": company.slug}), {"type": "budgetline"}
    )
    assert history.status_code == 200
    first = history.json()["results"][0]
    assert first["actor"] == facilitator.get_full_name()
    assert first["type"] == "budgetline" and first["object_id"] == line.pk
    assert first["changes"]["title"] == [line.title, "Trade fair 2027"]


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.EXECUTIVE])
def test_history_page_shows_changes_to_facilitators_and_executives(company, client_for, make_member, role):
    editor = make_member(company, Role.FACILITATOR, username="hanna")
    with history_actor(editor):
        kr = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company)), title="MQLs <b>x</b>")
        kr.title = "SQLs"
        kr.save()
    response = client_for(company, role).get(reverse("history", kwargs={"company_slug": company.slug}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Change history" in html
    assert "MQLs &lt;b&gt;x&lt;/b&gt; → SQLs" in html
    assert editor.get_full_name() in html


@pytest.mark.parametrize("role", [Role.MEMBER, Role.CMO])
def test_history_needs_the_permission(company, client_for, api_client_for, role):
    from companies.permissions import Action, can

    expected = 200 if can(role, Action.HISTORY_VIEW) else 403
    assert client_for(company, role).get(reverse("history", kwargs={"company_slug": company.slug})).status_code == (
        expected
    )
    url = reverse("api-history", kwargs={"company_slug": company.slug})
    assert api_client_for(company, role).get(url).status_code == expected


def test_member_gets_403_and_other_company_404(company, other_company, client_for, api_client_for):
    assert client_for(company, Role.MEMBER).get(reverse("history", kwargs={"company_slug": "acme"})).status_code == 403
    api = api_client_for(company, Role.MEMBER)
    assert api.get(reverse("api-history", kwargs={"company_slug": "acme"})).status_code == 403
    outsider = client_for(other_company, Role.FACILITATOR)
    assert outsider.get(reverse("history", kwargs={"company_slug": "acme"})).status_code == 404
    outsider_api = api_client_for(other_company, Role.EXECUTIVE)
    assert outsider_api.get(reverse("api-history", kwargs={"company_slug": "acme"})).status_code == 404


def test_other_company_changes_are_not_listed(company, other_company, client_for):
    ObjectiveFactory(cycle=CycleFactory(company=other_company), title="Secret plan")
    ObjectiveFactory(cycle=CycleFactory(company=company), title="Our plan")
    html = client_for(company, Role.EXECUTIVE).get(reverse("history", kwargs={"company_slug": "acme"})).content
    assert b"Our plan" in html and b"Secret plan" not in html


def test_filter_by_type_and_object(company, client_for):
    first = ObjectiveFactory(cycle=CycleFactory(company=company), title="First objective")
    ObjectiveFactory(cycle=first.cycle, title="Second objective")
    InitiativeFactory(company=company, cycle=first.cycle, title="Some initiative")
    client = client_for(company, Role.FACILITATOR)
    url = reverse("history", kwargs={"company_slug": "acme"})
    html = client.get(url, {"type": "objective", "object": first.pk}).content.decode()
    assert "First objective" in html and "Second objective" not in html and "Some initiative" not in html
    html = client.get(url, {"type": "initiative"}).content.decode()
    assert "Some initiative" in html and "First objective" not in html


@pytest.mark.parametrize("size", [5, 40])
def test_page_and_api_query_counts_are_constant(company, client_for, api_client_for, django_assert_max_num_queries,
                                                size):  # fmt: skip
    cycle = CycleFactory(company=company)
    for index in range(size):
        ObjectiveFactory(cycle=cycle, title=f"Objective {index}", owner=None)
    client = client_for(company, Role.EXECUTIVE)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("history", kwargs={"company_slug": "acme"})).status_code == 200
    api = api_client_for(company, Role.EXECUTIVE)
    with django_assert_max_num_queries(6):
        assert api.get(reverse("api-history", kwargs={"company_slug": "acme"})).status_code == 200


def test_page_names_linked_objects_and_choices_in_the_readers_words(company, other_company, client_for, make_member):
    """Links show the linked object's name, choices their label, yes/no and numbers as people write them; the API
    keeps the raw values. A linked id that is gone shows as "#id"."""
    editor = make_member(company, Role.FACILITATOR, first_name="Hanna", last_name="Berg")
    cycle = CycleFactory(company=company)
    first = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), title="MQLs per month")
    second = KeyResultFactory(objective=first.objective, title="Pipeline from events")
    gone = KeyResultFactory(objective=first.objective, title="Old key result")
    with history_actor(editor):
        objective = ObjectiveFactory(cycle=cycle, title="Grow pipeline", owner=None)
        objective.owner = editor
        objective.save()
        line = BudgetLineFactory(company=company, cycle=cycle, key_result=gone, planned_amount=Decimal("1000"))
        line.key_result = first
        line.planned_amount = Decimal("12500.5")
        line.save()
        line.key_result = second
        line.save()
    gone_id = gone.pk
    gone.delete()
    html = client_for(company, Role.EXECUTIVE).get(reverse("history", kwargs={"company_slug": "acme"})).content.decode()
    assert "MQLs per month → Pipeline from events" in html
    assert f"#{gone_id} → MQLs per month" in html
    assert "— → Hanna Berg" in html  # the owner, by name
    assert "1,000 → 12,500.5" in html
    german = client_for(company, Role.EXECUTIVE)
    german.cookies["django_language"] = "de"
    html = german.get(reverse("history", kwargs={"company_slug": "acme"}), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1.000 → 12.500,5" in html
    records = ChangeRecord.objects.filter(content_type__model="budgetline", action="updated").order_by("pk")
    assert records[1].changes["key_result"] == [first.pk, second.pk]  # stored (and in the API) as ids


def test_page_never_names_another_companys_object(company, other_company, client_for):
    """A change record that points at another company's row (never written by the product, but the names are read
    by id) shows the id, not the other company's name."""
    from django.contrib.contenttypes.models import ContentType

    secret = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=other_company)), title="Secret KR")
    line = BudgetLineFactory(company=company)
    ChangeRecord.objects.create(
        company=company,
        content_type=ContentType.objects.get_for_model(BudgetLine),
        object_id=line.pk,
        object_label=str(line),
        action="updated",
        at=timezone.now(),
        changes={"key_result": [None, secret.pk], "state": ["draft", "approved"]},
    )
    html = client_for(company, Role.EXECUTIVE).get(reverse("history", kwargs={"company_slug": "acme"})).content.decode()
    assert "Secret KR" not in html and f"— → #{secret.pk}" in html
    assert "Draft → Approved" in html  # a choice by its label
