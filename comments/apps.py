from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"

    def ready(self):
        from comments import panels, signals  # noqa: F401  (connects the receivers)

        panels.register()  # story page, profile and settings panels; the demo
