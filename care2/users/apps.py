from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "care2.users"
    label = "users"
    verbose_name = "Members"
