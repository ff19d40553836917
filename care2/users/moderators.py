"""The "Moderators" group, and how each app's migrations give it permissions."""

MODERATORS_GROUP = "Moderators"


def grant_moderator_permissions(apps, app_label: str, codenames: list[str]) -> None:
    """For a data migration: make sure the group exists and holds these permissions of
    ``app_label`` (creating the permission rows first, as they exist only after
    post_migrate otherwise)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    for label in ("auth", "users"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
