import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name,args",
    [
        ("feed_rss", []),
        ("feed_new_rss", []),
        ("feed_category_rss", ["society-culture"]),
        ("feed_tag_rss", ["oceans"]),
    ],
)
def test_rss_feeds_are_valid_and_list_the_right_stories(client, category, name, args):
    published = StoryFactory(
        category=category, published=True, tags=["oceans"], title="Published ocean story"
    )
    queued = StoryFactory(category=category, tags=["oceans"], title="Queued ocean story")
    response = client.get(reverse(f"stories:{name}", args=args))
    assert response.status_code == 200
    titles = [item.findtext("title") for item in ET.fromstring(response.content).iter("item")]
    if name == "feed_new_rss":
        assert titles == [queued.title]
    elif name == "feed_tag_rss":
        assert set(titles) == {published.title, queued.title}
    else:
        assert titles == [published.title]


def test_atom_feed(client, published_story):
    response = client.get(reverse("stories:feed_atom"))
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert published_story.title in response.content.decode()


def test_listings_link_their_feeds(client, category):
    html = client.get(category.get_absolute_url()).content.decode()
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="{category.name.replace("&", "&amp;")} (RSS)" href="/feeds/category/{category.slug}.rss">'
        in html
    )


def test_unknown_feed_is_404(client):
    assert client.get("/feeds/category/nope.rss").status_code == 404


def test_sitemap_and_robots(client, published_story, story):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert published_story.get_absolute_url() in sitemap
    assert story.get_absolute_url() not in sitemap  # only published stories
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots


def test_story_page_previews_well_when_shared(client, published_story):
    html = client.get(published_story.get_absolute_url()).content.decode()
    assert f'<meta property="og:title" content="{published_story.title}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert 'property="og:url" content="http://testserver/stories/' in html
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert image.startswith("http://testserver/static/img/share-card")
    assert f'<meta name="twitter:image" content="{image}">' in html
    assert (settings.BASE_DIR / "static" / "img" / "share-card.png").exists()


def test_petition_pages_preview_with_their_image_or_the_share_card(client, category):
    from tests.petitions.factories import PetitionFactory

    petition = PetitionFactory(category=category)
    html = client.get(petition.get_absolute_url()).content.decode()
    assert 'property="og:image" content="http://testserver/static/img/share-card' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize(
    "name,args",
    [
        ("stories:feed_atom", []),
        ("stories:feed_new_atom", []),
        ("stories:feed_category_atom", ["society-culture"]),
        ("stories:feed_tag_atom", ["oceans"]),
        ("petitions:feed_atom", []),
        ("petitions:feed_newest_atom", []),
        ("petitions:feed_victories_atom", []),
        ("petitions:feed_category_atom", ["society-culture"]),
    ],
)
def test_every_atom_feed_is_valid_atom_with_its_entries(client, category, name, args):
    from petitions.models import Petition
    from tests.petitions.factories import PetitionFactory, SignatureFactory

    StoryFactory(category=category, published=True, tags=["oceans"], title="Published ocean")
    StoryFactory(category=category, tags=["oceans"], title="Queued ocean")
    open_petition = PetitionFactory(category=category, title="Open petition for oceans")
    SignatureFactory(petition=open_petition)
    won = PetitionFactory(category=category, title="Won petition for oceans")
    Petition.objects.filter(pk=won.pk).update(status="victory", closed_at=won.created_at)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    titles = [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
    assert titles, f"{name} has no entries"
    assert all(entry.find(f"{ATOM}link") is not None for entry in root.iter(f"{ATOM}entry"))
