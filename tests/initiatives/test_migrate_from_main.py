"""A database migrated by main before the initiatives app existed migrates forward with its rows in place:
Initiative, InitiativePartner, InitiativeRating and PrioritySettings moved from objectives to the initiatives app;
rows, the key-result links, foreign keys from budgets and review, and content types (so change history, admin log
and permissions) survive, and the move can be undone."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.test_migrate_from_main import _leaves, _migrate

# The last migrations of main before the initiatives app existed.
BEFORE = [
    ("objectives", "0009_initiative_partner_assignments"),
    ("budgets", "0006_company_moved_to_companies_app"),
    ("review", "0001_review_actions"),
    ("initiatives", None),
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_main():
    old = _migrate(BEFORE)
    try:
        yield old
    finally:
        _migrate(_leaves())  # later tests expect today's schema


def _old_company(old):
    user = old.get_model("auth", "User").objects.create(username="lena", first_name="Lena")
    agency = old.get_model("auth", "User").objects.create(username="kai", first_name="Kai")
    company = old.get_model("companies", "Company").objects.create(name="Acme Energie", slug="acme")
    old.get_model("companies", "Membership").objects.create(user=user, company=company, role="facilitator")
    partner = old.get_model("companies", "Membership").objects.create(user=agency, company=company, role="partner")
    cycle = old.get_model("objectives", "Cycle").objects.create(
        company=company, name="2026", kind="year", start_date="2026-01-01", end_date="2026-12-31"
    )
    objective = old.get_model("objectives", "Objective").objects.create(
        company=company, cycle=cycle, title="Grow in the focus segments", owner=user
    )
    key_result = old.get_model("objectives", "KeyResult").objects.create(
        company=company, objective=objective, title="Win 25 new customers", start_value=0, target_value=25
    )
    return user, company, partner, cycle, key_result


def test_initiatives_and_every_reference_to_them_survive_the_move(at_main):
    old = at_main
    user, company, partner, cycle, key_result = _old_company(old)
    initiative = old.get_model("objectives", "Initiative").objects.create(
        company=company, cycle=cycle, title="Webinar series", state="active", owner=user
    )
    initiative.key_results.add(key_result)
    rating = old.get_model("objectives", "InitiativeRating").objects.create(
        company=company, initiative=initiative, rater=user, contribution=4, effort=2
    )
    assignment = old.get_model("objectives", "InitiativePartner").objects.create(
        company=company, initiative=initiative, membership=partner, assigned_by=user
    )
    settings = old.get_model("objectives", "PrioritySettings").objects.create(
        company=company, cycle=cycle, rating_state="open", focus_limit=8
    )
    channel = old.get_model("budgets", "Channel").objects.create(company=company, name="Events")
    line = old.get_model("budgets", "BudgetLine").objects.create(
        company=company, cycle=cycle, title="Webinar tool", channel=channel, initiative=initiative,
        planned_amount="1200.00", requester=user, last_changed_by=user,
    )  # fmt: skip
    action = old.get_model("review", "ReviewAction").objects.create(
        company=company, title="Agree the webinar dates", owner=user, due_date="2026-02-06",
        week_start="2026-02-02", initiative=initiative,
    )  # fmt: skip
    content_type = old.get_model("contenttypes", "ContentType")
    initiative_type = content_type.objects.get_or_create(app_label="objectives", model="initiative")[0]
    partner_type = content_type.objects.get_or_create(app_label="objectives", model="initiativepartner")[0]
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=initiative_type, codename="change_initiative", defaults={"name": "Can change initiative"}
    )[0]
    user.user_permissions.add(permission)
    old.get_model("admin", "LogEntry").objects.create(
        user=user, content_type=initiative_type, object_id=str(initiative.pk), object_repr="Webinar series",
        action_flag=2, action_time="2026-01-02T10:00:00Z",
    )  # fmt: skip
    record = old.get_model("history", "ChangeRecord").objects.create(
        company=company, content_type=initiative_type, object_id=initiative.pk, object_label="Webinar series",
        action="created", actor=user, at="2026-01-02T11:00:00Z", changes={"title": [None, "Webinar series"]},
    )  # fmt: skip
    partner_record = old.get_model("history", "ChangeRecord").objects.create(
        company=company, content_type=partner_type, object_id=assignment.pk, object_label="assignment",
        action="created", at="2026-01-02T12:00:00Z", changes={},
    )  # fmt: skip

    _migrate(_leaves())

    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    from budgets.models import BudgetLine
    from history.models import ChangeRecord
    from initiatives.models import Initiative, InitiativePartner, InitiativeRating, PrioritySettings
    from review.models import ReviewAction

    ContentType.objects.clear_cache()
    moved = Initiative.objects.get(pk=initiative.pk)
    assert (moved.title, moved.state, moved.cycle_id, moved.owner.username) == (
        "Webinar series",
        "active",
        cycle.pk,
        "lena",
    )
    assert list(moved.key_results.values_list("pk", flat=True)) == [key_result.pk]
    assert InitiativeRating.objects.get(pk=rating.pk).initiative == moved
    assert InitiativePartner.objects.get(pk=assignment.pk).membership.user.username == "kai"
    assert PrioritySettings.objects.get(pk=settings.pk).focus_limit == 8
    assert BudgetLine.objects.get(pk=line.pk).initiative == moved
    assert ReviewAction.objects.get(pk=action.pk).initiative == moved
    assert moved.budget_lines.get().title == "Webinar tool"
    tables = {Initiative._meta.db_table, InitiativePartner._meta.db_table, InitiativeRating._meta.db_table,
              PrioritySettings._meta.db_table, Initiative.key_results.through._meta.db_table}  # fmt: skip
    assert tables == {
        "initiatives_initiative",
        "initiatives_initiativepartner",
        "initiatives_initiativerating",
        "initiatives_prioritysettings",
        "initiatives_initiative_key_results",
    }
    assert tables <= set(connection.introspection.table_names())

    assert ContentType.objects.get_for_model(Initiative).pk == initiative_type.pk
    assert not ContentType.objects.filter(app_label="objectives", model__startswith="initiative").exists()
    assert LogEntry.objects.get(object_repr="Webinar series").get_edited_object() == moved
    assert User.objects.get(username="lena").has_perm("initiatives.change_initiative")
    history = ChangeRecord.objects.get(pk=record.pk)
    assert (history.content_type.model_class(), history.object_id, history.actor.username) == (
        Initiative,
        moved.pk,
        "lena",
    )
    assert ChangeRecord.objects.get(pk=partner_record.pk).content_type.model_class() is InitiativePartner


def test_the_move_can_be_undone(at_main):
    _migrate(_leaves())
    from companies.models import Company
    from initiatives.models import Initiative
    from objectives.models import Cycle

    company = Company.objects.create(name="Acme Energie", slug="acme")
    cycle = Cycle.objects.create(
        company=company, name="2026", kind="year", start_date="2026-01-01", end_date="2026-12-31"
    )
    Initiative.objects.create(company=company, cycle=cycle, title="Webinar series")
    old = _migrate(BEFORE)
    assert old.get_model("objectives", "Initiative").objects.get().title == "Webinar series"
    assert "objectives_initiative" in connection.introspection.table_names()
    assert old.get_model("contenttypes", "ContentType").objects.filter(app_label="objectives", model="initiative")
    _migrate(_leaves())
    assert Initiative.objects.get().title == "Webinar series"
