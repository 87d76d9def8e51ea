"""The companies app owns Company, Membership and Profile (moved out of objectives): rename their tables and move
their content types, so change history, the admin log and permissions keep pointing at the same rows."""

from django.db import migrations

MODELS = ("company", "membership", "profile")


def move_content_types(apps, schema_editor, source="objectives", target="companies"):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = content_type.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue  # a fresh database: post_migrate creates the content type under the new label
        # Made by a post_migrate that ran between the two steps (nothing can refer to it yet but its own
        # auto-created permissions, which would clash with the moved ones): the old row, with its history, wins.
        content_type.objects.using(db).filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="companies", target="objectives")


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("objectives", "0008_companies_moved_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="company", table=None),
        migrations.AlterModelTable(name="membership", table=None),
        migrations.AlterModelTable(name="profile", table=None),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
