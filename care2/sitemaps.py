"""sitemap.xml: each app registers its sitemaps here from its AppConfig.ready()."""

SITEMAPS: dict = {}


def register(name: str, sitemap) -> None:
    SITEMAPS[name] = sitemap
