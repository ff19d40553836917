"""Every listing's query count stays the same however much data it shows (each page is
also pinned in its app's tests; this sweeps the listings together, as reader and member)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from petitions.search import petitions_reindex
from stories.models import SavedStory
from stories.search import stories_reindex
from tests.factories import CategoryFactory, StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/newly-submitted/",
    "/category/society-culture/",
    "/tags/oceans/",
    "/saved/",
    "/petitions/",
    "/petitions/newest/",
    "/petitions/category/society-culture/",
    "/search/?q=ocean",
]


def grow(category, member, n):
    for i in range(n):
        story = StoryFactory(
            category=category,
            published=i % 2 == 0,
            tags=["oceans", f"topic-{i}"],
            title=f"Ocean story {i}",
            submitter=UserFactory(),
        )
        SavedStory.objects.create(member=member, story=story)
        petition = PetitionFactory(category=category, title=f"Ocean petition {i}")
        SignatureFactory(petition=petition)


@pytest.mark.parametrize("as_member", [False, True], ids=["reader", "member"])
def test_listings_take_the_same_queries_for_more_rows(as_member, django_assert_num_queries):
    category = CategoryFactory(name="Society & Culture", slug="society-culture")
    member = UserFactory()
    client = Client()
    if as_member:
        client.force_login(member)
    grow(category, member, 3)
    stories_reindex()
    petitions_reindex()
    for url in PAGES:  # warm: the member's facts are read once, then kept (care2.users.facts)
        client.get(url)
    small = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        assert status in (200, 302), url
        small[url] = len(queries.captured_queries)
    grow(category, member, 15)
    stories_reindex()
    petitions_reindex()
    for url in PAGES:
        with django_assert_num_queries(small[url]):
            client.get(url)
