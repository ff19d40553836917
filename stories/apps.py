from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"

    def ready(self):
        from care2.sitemaps import register
        from stories.sitemaps import CategorySitemap, StorySitemap

        register("stories", StorySitemap)
        register("categories", CategorySitemap)
