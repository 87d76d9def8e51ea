"""The history app owns ChangeRecord (moved out of okrplan): rename its table and move its content type."""

from django.db import migrations


def move_content_type(apps, schema_editor, source="okrplan", target="history"):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    old = content_type.objects.using(db).filter(app_label=source, model="changerecord").first()
    if old is None:
        return  # a fresh database: post_migrate creates the content type under the new label
    # One made by a post_migrate between the two steps has nothing pointing at it but its own permissions.
    content_type.objects.using(db).filter(app_label=target, model="changerecord").delete()
    old.app_label = target
    old.save(update_fields=["app_label"])


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="history", target="okrplan")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0001_initial"),
        ("okrplan", "0003_changerecord_moved_to_history_app"),
    ]

    operations = [
        migrations.AlterModelTable(name="changerecord", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
