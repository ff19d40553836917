from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "care2.users"
    label = "users"
    verbose_name = "Members"

    def ready(self):
        from care2.users import signals  # its @receiver functions connect on import

        signals.connect_facts()
