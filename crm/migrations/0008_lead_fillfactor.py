from django.db import migrations

# Room on every page of the lead table for a re-import to rewrite a lead next to itself: an update that changes no
# indexed column (a re-import's usual change: industry, owner, campaign, the row digest) is then a heap-only tuple
# and skips the upkeep of the table's twelve indexes (crm.services.imports_pg; the README's Performance section).
# Pages written from now on keep 10 % free.


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE crm_lead SET (fillfactor = 90)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE crm_lead RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_related_import_digest"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
