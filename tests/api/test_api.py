import pytest
from django.urls import reverse

from comments.services import comment_create
from stories.models import Story
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_story_list_is_public_and_paginated(client, published_story, story):
    data = client.get(reverse("api:stories")).json()
    assert data["count"] == 1 and data["pages"] == 1
    item = data["results"][0]
    assert item["title"] == published_story.title
    assert item["tags"] == ["oceans"]
    assert item["submitted_by"]["name"] == published_story.submitter.public_name
    assert "email" not in str(data)
    assert client.get(reverse("api:stories"), {"page": "x"}).status_code == 200


def test_story_with_its_thread(client, published_story):
    author = UserFactory(first_name="Ada", last_name="Lovelace")
    parent = comment_create(
        author=author, story=published_story, body="See https://example.org <b>bold</b>"
    )
    comment_create(author=UserFactory(), story=published_story, body="A reply", parent=parent)
    data = client.get(reverse("api:story", args=[published_story.pk])).json()
    assert [c["depth"] for c in data["thread"]] == [1, 2]
    assert data["thread"][1]["parent"] == data["thread"][0]["id"]
    first = data["thread"][0]
    assert first["author"]["name"] == "Ada L"
    assert '<a href="https://example.org"' in first["html"] and "<b>" not in first["html"]
    assert data["comments"] == 2


def test_hidden_stories_are_not_served(client):
    hidden = StoryFactory(status=Story.Status.HIDDEN)
    assert client.get(reverse("api:story", args=[hidden.pk])).status_code == 404


def test_cached_and_refreshed_by_writes(
    client, published_story, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.API_CACHE_SECONDS = 60
    client.get(reverse("api:stories"))
    with django_assert_num_queries(0):
        client.get(reverse("api:stories"))
    from stories.services import stories_hide

    with django_capture_on_commit_callbacks(execute=True):
        stories_hide(story_ids=[published_story.pk])
    assert client.get(reverse("api:stories")).json()["count"] == 0


def test_rate_limited(client, settings, published_story, still_clock):
    settings.API_RATE = "3/m"
    for _ in range(3):
        assert client.get(reverse("api:stories")).status_code == 200
    response = client.get(reverse("api:stories"))
    assert response.status_code == 429 and "slow down" in response.json()["error"]


def test_thread_query_count_is_constant(client, published_story, django_assert_max_num_queries):
    authors = UserFactory.create_batch(5)
    for n in range(60):
        comment_create(author=authors[n % 5], story=published_story, body=f"Comment {n}")
    with django_assert_max_num_queries(6):
        data = client.get(reverse("api:story", args=[published_story.pk])).json()
    assert len(data["thread"]) == 60
