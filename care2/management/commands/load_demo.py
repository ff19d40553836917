import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

# The order matters: each layer's demo builds on the one below it.
DEMO_APPS = ["stories", "comments", "credits", "petitions"]


class Command(BaseCommand):
    help = "Load the original demo content (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        for label in DEMO_APPS:
            if not apps.is_installed(label):
                continue
            try:
                module = importlib.import_module(f"{label}.demo")
            except ModuleNotFoundError as error:
                if error.name == f"{label}.demo":
                    continue
                raise
            module.load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
