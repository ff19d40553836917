from django.db import migrations

from care2.users.moderators import grant_moderator_permissions


def grant(apps, schema_editor):
    # Suspending a member is a change to their row (through the admin action).
    grant_moderator_permissions(apps, "users", ["change_user"])


class Migration(migrations.Migration):
    dependencies = [("users", "0003_deleted_at")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
