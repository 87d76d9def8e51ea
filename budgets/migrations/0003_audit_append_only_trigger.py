"""The audit log is append-only in the database too: an UPDATE of an audit entry is refused, except the one change
Django itself makes when a key result is deleted (key_result_id set to NULL; the title snapshot stays)."""

from django.db import migrations

COLUMNS = [
    "id",
    "company_id",
    "line_id",
    "event",
    "actor_id",
    "at",
    "amount",
    "key_result_title",
    "state_before",
    "state_after",
    "reason",
]

SQLITE_UP = """
CREATE TRIGGER budget_audit_append_only BEFORE UPDATE ON budgets_budgetauditentry
WHEN NOT (NEW.key_result_id IS NULL AND {same})
BEGIN SELECT RAISE(ABORT, 'budget audit entries are append-only'); END;
""".format(same=" AND ".join(f"NEW.{c} IS OLD.{c}" for c in COLUMNS))
SQLITE_DOWN = "DROP TRIGGER IF EXISTS budget_audit_append_only;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION budget_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF NEW.key_result_id IS NULL AND ({new}) IS NOT DISTINCT FROM ({old}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'budget audit entries are append-only' USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER budget_audit_append_only BEFORE UPDATE ON budgets_budgetauditentry
FOR EACH ROW EXECUTE FUNCTION budget_audit_append_only();
""".format(new=", ".join(f"NEW.{c}" for c in COLUMNS), old=", ".join(f"OLD.{c}" for c in COLUMNS))
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS budget_audit_append_only ON budgets_budgetauditentry;
DROP FUNCTION IF EXISTS budget_audit_append_only();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("budgets", "0002_refine_binding_and_approvals")]

    operations = [migrations.RunPython(forwards, backwards)]
