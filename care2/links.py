"""Absolute links: from the request in pages and feeds, from ``SITE_URL`` in e-mails."""

import copy
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed


def absolute_url(path: str) -> str:
    """``path`` on the site as readers reach it (``SITE_URL``), for links in e-mails.

    E-mails are built in tasks, with no request to take the host from; ``make run`` sets
    ``SITE_URL`` from its HOST and PORT, a deployment to its public address.
    """
    return f"{settings.SITE_URL}{path}"


def site_domain() -> str:
    """The host (and port) of ``SITE_URL``: the domain the Sites framework is given."""
    return urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"


def sync_site(**kwargs) -> None:
    """Give the Sites framework the host of ``SITE_URL`` (run after every ``migrate``).

    allauth names the site by it in its e-mails; keeping it in step with ``SITE_URL``
    means one setting decides every link and name an e-mail carries.
    """
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": site_domain(), "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()


class RequestLinksFeed(Feed):
    """A feed whose links are on the host and scheme the reader asked on.

    Django's feeds put links on the Sites framework's domain, which is one fixed host;
    a reader of ``http://127.0.0.1:8101/feeds/…`` must get links on that port, and a
    reader behind the site's proxy the proxy's address.
    """

    _absolute_attrs = frozenset({"link", "item_link", "feed_url", "item_enclosure_url"})

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request: give each its own copy to hold the request.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def _get_dynamic_attr(self, attname, obj, default=None):
        value = super()._get_dynamic_attr(attname, obj, default)
        if attname == "feed_url" and not value:
            value = self.request.path
        if attname in self._absolute_attrs and isinstance(value, str) and value.startswith("/"):
            value = self.request.build_absolute_uri(value)
        return value
