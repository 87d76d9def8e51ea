from django.db import migrations, models

# A lead keeps the digest of the file row that last wrote it (crm.services.imports_pg) only as long as nothing else
# changes it: an UPDATE that does not set import_digest itself (the API, a connector's sync, the Python import path,
# the admin, the SLA pages, ...) clears it, so the next re-import rewrites that lead. Only the PostgreSQL import
# sets it; on SQLite the column stays empty and needs no trigger.
TRIGGER = """
CREATE FUNCTION crm_lead_clear_import_digest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.import_digest := NULL;
    RETURN NEW;
END;
$$;
CREATE TRIGGER crm_lead_clear_import_digest BEFORE UPDATE ON crm_lead FOR EACH ROW
    WHEN (OLD.import_digest IS NOT NULL AND NEW.import_digest IS NOT DISTINCT FROM OLD.import_digest)
    EXECUTE FUNCTION crm_lead_clear_import_digest();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS crm_lead_clear_import_digest ON crm_lead;
DROP FUNCTION IF EXISTS crm_lead_clear_import_digest();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_crm_connections"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="import_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
