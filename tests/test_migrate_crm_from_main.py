"""A database migrated by main before the CRM data had its own app (reporting 0012 the last migration) migrates
forward with its rows in place: Lead, Opportunity, Touchpoint, ColumnMapping and CrmImport moved from reporting to
crm; rows, the foreign keys between them, content types (so change history, admin log and permissions) survive,
new rows continue the id sequences, and the move can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migration of main before the crm app existed; crm.0001 takes the models over from here.
BEFORE = [("reporting", "0012_lead_text_columns_database_defaults"), ("crm", None)]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The models as the database has them now (every applied migration of every app).
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_crm_rows_and_references_survive_the_move():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="petra", first_name="Petra")
    company = old.get_model("companies", "Company").objects.create(name="Altwerk Energie", slug="altwerk")
    lead_model = old.get_model("reporting", "Lead")
    lead = lead_model.objects.create(company=company, external_id="L-1", created="2026-02-03T09:14:00Z",
                                     channel="Webinare", mql_at="2026-02-10T11:00:00Z", owner="Thomas Wagner",
                                     crm_opportunity_id="O-1")  # fmt: skip
    other = lead_model.objects.create(company=company, external_id="L-2", created="2026-03-01T08:00:00Z")
    opportunity = old.get_model("reporting", "Opportunity").objects.create(
        company=company, external_id="O-1", lead=lead, created="2026-02-20T10:00:00Z", closed="2026-04-01T12:00:00Z",
        amount="48500.00", status="won",
    )  # fmt: skip
    touch = old.get_model("reporting", "Touchpoint").objects.create(
        company=company, external_id="T-1", lead=other, occurred="2026-02-28T10:00:00Z", channel="SEO"
    )
    mapping = old.get_model("reporting", "ColumnMapping").objects.create(
        company=company, name="Pipedrive", kind="leads", columns={"external_id": "Person-ID"}, created_by=user
    )
    job = old.get_model("reporting", "CrmImport").objects.create(
        company=company, kind="leads", source="custom", mapping=mapping, original_name="pipedrive.csv",
        status="done", rows_total=2, errors=[], created_by=user,
    )  # fmt: skip
    content_type_model = old.get_model("contenttypes", "ContentType")
    lead_type = content_type_model.objects.get_or_create(app_label="reporting", model="lead")[0]
    import_type = content_type_model.objects.get_or_create(app_label="reporting", model="crmimport")[0]
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=lead_type, codename="change_lead", defaults={"name": "Can change lead"}
    )[0]
    user.user_permissions.add(permission)
    old.get_model("admin", "LogEntry").objects.create(
        user=user, content_type=lead_type, object_id=str(lead.pk), object_repr="L-1", action_flag=2,
        action_time="2026-02-12T09:00:00Z",
    )  # fmt: skip
    record = old.get_model("history", "ChangeRecord").objects.create(
        company=company, content_type=lead_type, object_id=lead.pk, object_label="L-1", action="updated",
        actor=user, at="2026-02-12T09:00:00Z", changes={"owner": ["", "Thomas Wagner"]},
    )  # fmt: skip

    _migrate(_leaves())

    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType

    from crm.models import ColumnMapping, CrmImport, Lead, Opportunity, Touchpoint
    from history.models import ChangeRecord

    ContentType.objects.clear_cache()
    moved = Lead.objects.get(pk=lead.pk)
    assert (moved.external_id, moved.channel, moved.owner) == ("L-1", "Webinare", "Thomas Wagner")
    assert moved.company.slug == "altwerk"
    assert Opportunity.objects.get(pk=opportunity.pk).lead == moved
    assert list(moved.opportunities.values_list("external_id", flat=True)) == ["O-1"]
    assert Touchpoint.objects.get(pk=touch.pk).lead.external_id == "L-2"
    moved_job = CrmImport.objects.get(pk=job.pk)
    assert moved_job.mapping == ColumnMapping.objects.get(pk=mapping.pk)
    assert moved_job.mapping.columns == {"external_id": "Person-ID"} and moved_job.created_by.username == "petra"
    assert [m._meta.db_table for m in (Lead, Opportunity, Touchpoint, ColumnMapping, CrmImport)] == [
        "crm_lead", "crm_opportunity", "crm_touchpoint", "crm_columnmapping", "crm_crmimport"
    ]  # fmt: skip
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert "crm_lead" in tables and "reporting_lead" not in tables
    # the id sequences came along: new rows follow the old ones
    assert Lead.objects.create(company=moved.company, external_id="L-3", created=moved.created).pk > other.pk

    assert ContentType.objects.get_for_model(Lead).pk == lead_type.pk
    assert ContentType.objects.get_for_model(CrmImport).pk == import_type.pk
    assert not ContentType.objects.filter(app_label="reporting", model__in=["lead", "crmimport"]).exists()
    assert LogEntry.objects.get(object_repr="L-1").get_edited_object() == moved
    assert User.objects.get(username="petra").has_perm("crm.change_lead")
    history = ChangeRecord.objects.get(pk=record.pk)
    assert history.content_type.model_class() is Lead and history.object_id == moved.pk


def test_the_crm_move_can_be_undone():
    _migrate(_leaves())
    from companies.models import Company
    from crm.models import ColumnMapping, Lead, Opportunity

    company = Company.objects.create(name="Altwerk Energie", slug="altwerk")
    lead = Lead.objects.create(company=company, external_id="L-1", created="2026-02-03T09:14:00Z")
    Opportunity.objects.create(company=company, external_id="O-1", lead=lead, created="2026-02-20T10:00:00Z")
    ColumnMapping.objects.create(company=company, name="Pipedrive", kind="leads", columns={})

    old = _migrate(BEFORE)
    assert old.get_model("reporting", "Opportunity").objects.get().lead.external_id == "L-1"
    assert old.get_model("reporting", "ColumnMapping").objects.get().name == "Pipedrive"
    assert old.get_model("contenttypes", "ContentType").objects.filter(app_label="reporting", model="lead").exists()

    _migrate(_leaves())
    assert Opportunity.objects.get().lead == Lead.objects.get(external_id="L-1")
