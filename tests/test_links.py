"""Links point where the reader is: pages and feeds from the request, e-mails from SITE_URL."""

import re

import pytest
from django.contrib.sites.models import Site
from django.core.management import call_command

from care2.links import absolute_url
from tests.factories import StoryFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/feeds/stories.rss", "/feeds/stories.atom", "/petitions/feeds/newest.rss"]
)
def test_feed_links_are_on_the_host_and_port_the_reader_asked(client, settings, path):
    settings.ALLOWED_HOSTS = ["news.example.test"]
    StoryFactory(published=True)
    if "petitions" in path:
        from tests.petitions.factories import PetitionFactory

        PetitionFactory()
    response = client.get(path, HTTP_HOST="news.example.test:8101")
    body = response.content.decode()
    links = re.findall(r"<link>([^<]+)</link>", body) + re.findall(r'href="([^"]+)"', body)
    assert links
    assert all(link.startswith("http://news.example.test:8101/") for link in links), links
    assert "127.0.0.1:8000" not in body and "example.com" not in body


def test_email_links_are_on_site_url(settings):
    settings.SITE_URL = "https://news.example.test:8443"
    assert absolute_url("/petitions/confirm/x/") == (
        "https://news.example.test:8443/petitions/confirm/x/"
    )


@pytest.mark.django_db
def test_migrate_gives_the_sites_framework_the_host_of_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    call_command("migrate", verbosity=0)
    assert Site.objects.get_current().domain == "127.0.0.1:8101"
