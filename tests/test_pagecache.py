"""Readers' page cache: served from cache, invalidated by every write that changes a page."""

import pytest
from django.urls import reverse

from stories import services
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reader_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60


def test_second_reader_request_is_a_hit_with_no_queries(
    client, published_story, django_assert_num_queries
):
    assert client.get("/")["X-Reader-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response["X-Reader-Cache"] == "hit"
    assert published_story.title in response.content.decode()


def test_members_are_never_served_from_the_cache(client, member, published_story):
    client.get("/")
    client.force_login(member)
    response = client.get("/")
    assert "X-Reader-Cache" not in response
    assert "Sign out" in response.content.decode()


def test_a_vet_invalidates_cached_pages(
    client, published_story, django_capture_on_commit_callbacks
):
    url = published_story.get_absolute_url()
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        services.story_vet(member=UserFactory(), story=published_story)
    response = client.get(url)
    assert response["X-Reader-Cache"] == "miss"
    assert '<strong data-testid="vet-count">1</strong>' in response.content.decode()


def test_a_submission_invalidates_the_queue(client, category, django_capture_on_commit_callbacks):
    client.get(reverse("stories:newly_submitted"))
    with django_capture_on_commit_callbacks(execute=True):
        services.story_submit(
            submitter=UserFactory(),
            title="Fresh from the press",
            url="https://e.example/f",
            summary="s",
            category=category,
            tags=["t"],
        )
    assert "Fresh from the press" in client.get(reverse("stories:newly_submitted")).content.decode()


def test_moderation_invalidates(client, published_story, django_capture_on_commit_callbacks):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        services.stories_hide(story_ids=[published_story.pk])
    assert published_story.title not in client.get("/").content.decode()


def test_pages_with_messages_are_not_cached(client, member, story):
    client.force_login(member)
    client.post(reverse("stories:vet", args=[story.pk]))  # leaves a message
    client.logout()
    StoryFactory(published=True)
    first = client.get("/")
    assert "X-Reader-Cache" not in first or first["X-Reader-Cache"] == "miss"


def test_a_change_bumps_the_generation_in_one_round_trip(
    redis_cache, redis_sends, django_capture_on_commit_callbacks
):
    from care2 import pagecache

    with django_capture_on_commit_callbacks(execute=True):
        pagecache.pages_changed()  # Redis learns the script
    before = pagecache.generation()
    redis_sends.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.pages_changed()
    generation_sends = [s for s in redis_sends if pagecache.GENERATION_KEY.encode() in s]
    assert len(generation_sends) == 1
    assert pagecache.generation() == before + 1


def test_a_lost_generation_starts_again_at_the_clock(
    redis_cache, django_capture_on_commit_callbacks
):
    import time

    from care2 import pagecache

    redis_cache.delete(pagecache.GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.pages_changed()
    assert pagecache.generation() >= int(time.time() * 1000) - 60_000
