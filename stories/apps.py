from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"

    def ready(self):
        from care2.sitemaps import register
        from stories.sitemaps import CategorySitemap, StorySitemap

        register("stories", StorySitemap)
        register("categories", CategorySitemap)

        from stories import panels

        panels.register()  # the profile's stories, links, the demo (care2.panels, care2.demo)
