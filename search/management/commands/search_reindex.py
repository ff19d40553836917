from django.core.management.base import BaseCommand

from petitions.search import petitions_reindex
from stories.search import stories_reindex, uses_full_text


class Command(BaseCommand):
    help = "Recompute the full-text search vectors of every story and petition (PostgreSQL)."

    def handle(self, *args, **options):
        if not uses_full_text():
            self.stdout.write("SQLite: nothing to index (search uses simple matching).")
            return
        stories_reindex()
        petitions_reindex()
        self.stdout.write(self.style.SUCCESS("Stories and petitions reindexed."))
