"""A page that goes into the shared cache is rendered from the primary when replicas are
configured: the page-cache generation moves the moment a write commits, when a replica
may not have the write yet, and a page rendered from that replica would be kept under
the new generation, stale until the next write. Cache hits read no database at all (or,
for a member, only what the request reads around the shared page).

As in tests/test_replicas.py, the replica is the primary's test database seen through a
second connection, so the connection each query went through shows where it was sent.
"""

import pytest
from django.test import Client
from django.urls import reverse
from multidb.pinning import pin_this_thread, this_thread_is_pinned, unpin_this_thread

from care2 import pagecache
from care2.db_router import filling_from_primary
from comments.services import comment_create
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory
from tests.test_replicas import (  # noqa: F401 - the replica alias and settings fixtures
    REPLICA,
    WITH_REPLICA,
    Queries,
    _replica_alias,
    replica,
)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60
    pagecache.RECENT.clear()
    yield
    pagecache.RECENT.clear()


def _comment_queries(captured) -> int:
    return sum('"comments_comment"' in query["sql"] for query in captured.captured_queries)


def test_a_fill_pins_the_thread_only_with_replicas_and_restores_it(settings):
    fill = filling_from_primary
    unpin_this_thread()
    settings.REPLICA_DATABASES = []
    with fill():
        assert not this_thread_is_pinned(), "pinned with no replica configured"

    settings.REPLICA_DATABASES = [REPLICA]
    with fill():
        assert this_thread_is_pinned()
        with fill():  # nested (a thread fragment inside a page): still pinned after
            assert this_thread_is_pinned()
        assert this_thread_is_pinned()
    assert not this_thread_is_pinned(), "the fill left the thread pinned"

    # A client that just wrote is pinned by the middleware: the fill leaves its pin.
    pin_this_thread()
    with fill():
        pass
    assert this_thread_is_pinned()
    unpin_this_thread()


@WITH_REPLICA
@pytest.mark.usefixtures("replica")
def test_a_readers_page_missing_the_cache_is_rendered_from_the_primary():
    story = StoryFactory(published=True, title="Rendered from the primary")
    comment_create(author=UserFactory(), story=story, body="Just written, maybe not replayed")

    with Queries() as queries:
        page = Client().get(story.get_absolute_url())
    assert page.status_code == 200 and page["X-Reader-Cache"] == "miss"
    assert "Just written, maybe not replayed" in page.content.decode()
    assert queries.on_replica == 0, "the page kept for every reader was read from the replica"
    assert queries.on_primary > 0
    assert not this_thread_is_pinned()

    # The hit reads nothing.
    with Queries() as queries:
        page = Client().get(story.get_absolute_url())
    assert page["X-Reader-Cache"] == "hit"
    assert (queries.on_primary, queries.on_replica) == (0, 0)


@WITH_REPLICA
@pytest.mark.usefixtures("replica")
def test_a_readers_petition_page_missing_the_cache_is_rendered_from_the_primary():
    petition = PetitionFactory()

    with Queries() as queries:
        page = Client().get(petition.get_absolute_url())
    assert page.status_code == 200 and page["X-Reader-Cache"] == "miss"
    assert queries.on_replica == 0, "the petition page kept for readers came from the replica"
    assert queries.on_primary > 0
    assert not this_thread_is_pinned()

    with Queries() as queries:
        page = Client().get(petition.get_absolute_url())
    assert page["X-Reader-Cache"] == "hit"
    assert queries.on_replica == 0


@WITH_REPLICA
@pytest.mark.usefixtures("replica")
def test_a_members_shared_page_missing_the_cache_is_rendered_from_the_primary():
    story = StoryFactory(published=True)
    comment_create(author=UserFactory(), story=story, body="In the shared thread")
    browser = Client()
    browser.force_login(UserFactory())
    unpin_this_thread()  # a member who has not written: their reads go to a replica

    with Queries() as queries:
        page = browser.get(story.get_absolute_url())
    assert page.status_code == 200 and page["X-Member-Cache"] == "miss"
    assert "In the shared thread" in page.content.decode()
    # The shared rendering (the thread) came from the primary...
    assert _comment_queries(queries.primary) > 0
    assert _comment_queries(queries.replica) == 0, "the shared thread was read from the replica"
    # ...and what the request reads around it (session, member, story) from the replica.
    assert queries.on_replica > 0
    assert not this_thread_is_pinned()

    with Queries() as queries:
        page = browser.get(story.get_absolute_url())
    assert page["X-Member-Cache"] == "hit"
    assert _comment_queries(queries.primary) + _comment_queries(queries.replica) == 0
    assert queries.on_replica > 0


@WITH_REPLICA
@pytest.mark.usefixtures("replica")
def test_the_apis_json_missing_the_cache_is_read_from_the_primary():
    """API clients never write, so are never pinned: the JSON kept for all of them under
    the new generation comes from the primary."""
    story = StoryFactory(published=True, title="Served as JSON")

    with Queries() as queries:
        response = Client().get(reverse("api:story", args=[story.pk]))
    assert response.status_code == 200 and response.json()["title"] == "Served as JSON"
    assert queries.on_replica == 0, "the cached JSON was read from the replica"
    assert queries.on_primary > 0

    with Queries() as queries:
        assert Client().get(reverse("api:story", args=[story.pk])).status_code == 200
    assert queries.on_replica == 0
    assert _comment_queries(queries.primary) == 0  # from the cache


@WITH_REPLICA
@pytest.mark.usefixtures("replica")
def test_a_shared_thread_rendered_outside_a_cached_page_is_read_from_the_primary():
    """A page that is not cached itself (a message waiting) still fills the shared
    thread: from the primary too."""
    from comments.fragments import thread_fragment

    story = StoryFactory(published=True)
    comment_create(author=UserFactory(), story=story, body="Kept in the thread's cache")
    unpin_this_thread()

    with Queries() as queries:
        fragment = thread_fragment(story)
    assert "Kept in the thread" in fragment.html
    assert _comment_queries(queries.replica) == 0, "the shared thread was read from the replica"
    assert _comment_queries(queries.primary) > 0
    assert not this_thread_is_pinned()

    with Queries() as queries:
        thread_fragment(story)
    assert queries.on_primary + queries.on_replica == 0
