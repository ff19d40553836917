from django.core.management.base import BaseCommand

from care2 import demo


class Command(BaseCommand):
    help = "Load the original demo content (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        # Registered by each app (care2.demo), lowest layer first.
        for load in demo.loaders():
            load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
