from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"

    def ready(self):
        from care2 import demo
        from credits import demo as credits_demo

        demo.register("credits", credits_demo.load, order=30)
