from django.db import migrations

from care2.users.moderators import grant_moderator_permissions


def grant(apps, schema_editor):
    grant_moderator_permissions(
        apps,
        "stories",
        [
            "view_story", "change_story",
            "view_category", "add_category", "change_category",
            "view_vet", "view_report", "delete_report",
        ],
    )
    grant_moderator_permissions(apps, "users", ["view_user", "view_message"])


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0002_initial"),
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
