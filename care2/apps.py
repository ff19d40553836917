from django.apps import AppConfig


class Care2Config(AppConfig):
    name = "care2"
    verbose_name = "Care2"
