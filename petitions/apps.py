from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = "Petitions"

    def ready(self):
        from care2.sitemaps import register
        from petitions.sitemaps import PetitionSitemap

        register("petitions", PetitionSitemap)

        from petitions import panels

        panels.register()  # story page and profile panels; the demo
