"""Check-ins are append-only in the database too: a trigger refuses any UPDATE of a check-in's recorded facts,
whoever writes (raw SQL included). Only ``author_id`` may change (to NULL when a user is deleted: SET_NULL)."""

from django.db import migrations

COLUMNS = "company_id, key_result_id, value, confidence, comment, is_automatic, created_at"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION objectives_checkin_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Check-ins are append-only.' USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER objectives_checkin_append_only BEFORE UPDATE OF {COLUMNS} ON objectives_checkin
FOR EACH ROW EXECUTE FUNCTION objectives_checkin_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS objectives_checkin_append_only ON objectives_checkin;
DROP FUNCTION IF EXISTS objectives_checkin_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER objectives_checkin_append_only BEFORE UPDATE OF {COLUMNS} ON objectives_checkin
BEGIN SELECT RAISE(ABORT, 'Check-ins are append-only.'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS objectives_checkin_append_only;"


def _run(schema_editor, sql: dict) -> None:
    statement = sql.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


def forwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("objectives", "0002_cascade")]

    operations = [migrations.RunPython(forwards, backwards)]
