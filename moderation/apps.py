from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """The moderators' side of the admin: the dashboard on its index, the audit trail."""

    name = "moderation"
    verbose_name = "Moderation"
