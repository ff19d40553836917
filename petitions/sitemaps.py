from django.contrib.sitemaps import Sitemap

from petitions.models import Petition


class PetitionSitemap(Sitemap):
    changefreq = "hourly"
    limit = 5000

    def items(self):
        return (
            Petition.objects.visible()
            .only("pk", "slug", "created_at")
            .order_by("-created_at", "-id")
        )

    def lastmod(self, item):
        return item.created_at
