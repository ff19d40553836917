from django.apps import AppConfig
from django.db.models.signals import post_migrate


class Care2Config(AppConfig):
    name = "care2"
    verbose_name = "Care2"

    def ready(self):
        from care2.links import sync_site

        # After the sites app's own migrations have made the table.
        post_migrate.connect(sync_site, sender=self, dispatch_uid="care2.sync_site")
