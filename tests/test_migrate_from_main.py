"""A database migrated by main before the restructuring migrates forward with its rows in place: Company,
Membership and Profile moved to the companies app, ChangeRecord to the history app; rows, foreign keys and content
types (so change history, admin log and permissions) survive, and the moves can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migrations of main before the companies app existed.
BEFORE = [
    ("objectives", "0006_cycle_dates_in_range"),
    ("budgets", "0005_budget_line_four_eyes_constraints"),
    ("reporting", "0005_kpi_refresh_heartbeat"),
    ("okrplan", "0001_initial"),
    ("companies", None),
    ("history", None),
]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The models as the database has them now (every applied migration of every app).
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_rows_and_references_survive_the_move():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="lena", first_name="Lena")
    company = old.get_model("objectives", "Company").objects.create(name="Acme Energie", slug="acme")
    old.get_model("objectives", "Membership").objects.create(user=user, company=company, role="cmo", team="Marketing")
    old.get_model("objectives", "Profile").objects.create(user=user, language="de")
    cycle = old.get_model("objectives", "Cycle").objects.create(
        company=company, name="2026", kind="year", start_date="2026-01-01", end_date="2026-12-31"
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="objectives", model="company"
    )[0]
    old_ct_id = content_type.pk
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="change_company", defaults={"name": "Can change company"}
    )[0]
    user.user_permissions.add(permission)
    old.get_model("admin", "LogEntry").objects.create(
        user=user, content_type=content_type, object_id=str(company.pk), object_repr="Acme Energie",
        action_flag=2, action_time="2026-01-02T10:00:00Z",
    )  # fmt: skip
    old.get_model("okrplan", "ChangeRecord").objects.create(
        company=company, content_type=content_type, object_id=company.pk, object_label="Acme Energie",
        action="updated", at="2026-01-02T10:00:00Z", changes={"name": ["Acme", "Acme Energie"]},
    )  # fmt: skip
    objective = old.get_model("objectives", "Objective").objects.create(
        company=company, cycle=cycle, title="Grow in the focus segments", owner=user
    )
    objective_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="objectives", model="objective"
    )[0]
    record = old.get_model("okrplan", "ChangeRecord").objects.create(
        company=company, content_type=objective_type, object_id=objective.pk, object_label=objective.title,
        action="created", actor=user, at="2026-01-02T11:00:00Z", changes={"title": [None, objective.title]},
    )  # fmt: skip
    record_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="okrplan", model="changerecord"
    )[0]
    view_history = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=record_type, codename="view_changerecord", defaults={"name": "Can view change record"}
    )[0]
    user.user_permissions.add(view_history)

    _migrate(_leaves())

    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    from companies.models import Company, Membership, Profile
    from history.models import ChangeRecord
    from objectives.models import Cycle, Objective

    ContentType.objects.clear_cache()
    moved = Company.objects.get(slug="acme")
    assert moved.pk == company.pk and moved.name == "Acme Energie"
    assert Membership.objects.get(company=moved, user__username="lena").role == "cmo"
    assert Profile.objects.get(user__username="lena").language == "de"
    assert Cycle.objects.get(pk=cycle.pk).company == moved
    assert Company._meta.db_table == "companies_company"

    content_type = ContentType.objects.get_for_model(Company)
    assert content_type.pk == old_ct_id
    assert not ContentType.objects.filter(app_label="objectives", model="company").exists()
    entry = LogEntry.objects.get(object_repr="Acme Energie")
    assert entry.get_edited_object() == moved
    assert User.objects.get(username="lena").has_perm("companies.change_company")
    history = ChangeRecord.objects.get(object_label="Acme Energie")
    assert history.content_type.model_class() is Company and history.company == moved
    moved_record = ChangeRecord.objects.get(pk=record.pk)
    assert moved_record.content_type.model_class() is Objective
    assert (moved_record.actor.username, moved_record.changes) == (
        "lena",
        {"title": [None, "Grow in the focus segments"]},
    )
    assert ChangeRecord._meta.db_table == "history_changerecord"
    assert ContentType.objects.get_for_model(ChangeRecord).pk == record_type.pk
    assert User.objects.get(username="lena").has_perm("history.view_changerecord")


def test_the_move_can_be_undone():
    _migrate(_leaves())
    from companies.models import Company

    Company.objects.create(name="Acme Energie", slug="acme")
    old = _migrate(BEFORE)
    assert old.get_model("objectives", "Company").objects.get().slug == "acme"
    _migrate(_leaves())
    assert Company.objects.get().slug == "acme"
