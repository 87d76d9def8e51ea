from django.db import migrations, models

# Opportunities and touchpoints keep the digest of the file row that last wrote them (crm.services.imports_pg_related)
# only as long as nothing else changes them: as for leads (migration 0005), an UPDATE that does not set
# import_digest itself (the API, a connector's sync, the Python import path, the admin, the lead link a lead import
# sets, ON DELETE SET NULL of the lead, ...) clears it, so the next re-import rewrites that row. Only the PostgreSQL
# import sets it; on SQLite the column stays empty and needs no trigger.
TABLES = ("crm_opportunity", "crm_touchpoint")
TRIGGER = """
CREATE FUNCTION {table}_clear_import_digest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.import_digest := NULL;
    RETURN NEW;
END;
$$;
CREATE TRIGGER {table}_clear_import_digest BEFORE UPDATE ON {table} FOR EACH ROW
    WHEN (OLD.import_digest IS NOT NULL AND NEW.import_digest IS NOT DISTINCT FROM OLD.import_digest)
    EXECUTE FUNCTION {table}_clear_import_digest();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS {table}_clear_import_digest ON {table};
DROP FUNCTION IF EXISTS {table}_clear_import_digest();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(TRIGGER.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP_TRIGGER.format(table=table))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_import_rows_unchanged"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="import_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="touchpoint",
            name="import_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
