from django.contrib.sitemaps import Sitemap

from stories.models import Category, Story


class StorySitemap(Sitemap):
    changefreq = "daily"
    limit = 5000

    def items(self):
        return (
            Story.objects.published()
            .only("pk", "slug", "published_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, item):
        return item.published_at


class CategorySitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return Category.objects.all()
