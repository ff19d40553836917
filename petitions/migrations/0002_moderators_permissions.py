from django.db import migrations

from care2.users.moderators import grant_moderator_permissions


def grant(apps, schema_editor):
    grant_moderator_permissions(
        apps,
        "petitions",
        ["view_petition", "change_petition", "view_signature", "change_signature", "view_petitionupdate"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0001_initial"),
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
