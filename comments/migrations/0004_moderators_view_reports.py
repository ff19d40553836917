from django.db import migrations

from care2.users.moderators import grant_moderator_permissions


def grant(apps, schema_editor):
    grant_moderator_permissions(apps, "comments", ["view_commentreport"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0003_reports"),
        ("users", "0002_profile_suspension_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
