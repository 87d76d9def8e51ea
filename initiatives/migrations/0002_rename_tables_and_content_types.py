"""The initiatives app owns Initiative, InitiativePartner, InitiativeRating and PrioritySettings (moved out of
objectives): rename their tables (and the initiatives' key-result link table with them) and move their content
types, so change history, the admin log and permissions keep pointing at the same rows."""

from django.db import migrations

MODELS = ("initiative", "initiativepartner", "initiativerating", "prioritysettings")


def move_content_types(apps, schema_editor, source="objectives", target="initiatives"):
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
    move_content_types(apps, schema_editor, source="initiatives", target="objectives")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("initiatives", "0001_initial"),
        ("objectives", "0010_initiatives_moved_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="initiative", table=None),
        migrations.AlterModelTable(name="initiativepartner", table=None),
        migrations.AlterModelTable(name="initiativerating", table=None),
        migrations.AlterModelTable(name="prioritysettings", table=None),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
