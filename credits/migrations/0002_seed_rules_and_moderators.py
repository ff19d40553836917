from django.db import migrations

from care2.users.moderators import grant_moderator_permissions

# The defaults: (amount, daily cap per member). Kept here, not imported, so the
# migration seeds the same rows however the code's defaults change later.
RULES = {
    "vet_new": (3, 50),
    "vet_other": (1, 50),
    "comment": (1, 20),
    "petition_sign": (1, None),
}


def seed(apps, schema_editor):
    CreditRule = apps.get_model("credits", "CreditRule")
    for action, (amount, cap) in RULES.items():
        CreditRule.objects.get_or_create(action=action, defaults={"amount": amount, "daily_cap": cap})
    grant_moderator_permissions(
        apps,
        "credits",
        [
            "view_creditrule", "change_creditrule",
            "view_creditentry", "add_creditentry",
            "view_cause", "add_cause", "change_cause",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0001_initial"),
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
