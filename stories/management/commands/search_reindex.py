from django.core.management.base import BaseCommand

from stories.search import stories_reindex, uses_full_text


class Command(BaseCommand):
    help = "Recompute every story's full-text search vector (PostgreSQL)."

    def handle(self, *args, **options):
        if not uses_full_text():
            self.stdout.write("SQLite: nothing to index (search uses simple matching).")
            return
        stories_reindex()
        self.stdout.write(self.style.SUCCESS("Stories reindexed."))
