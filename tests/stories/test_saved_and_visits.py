import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from stories import services
from stories.models import SavedStory, StoryVisit

pytestmark = pytest.mark.django_db


def test_save_and_unsave_from_the_story_page(client, member, published_story):
    client.force_login(member)
    assert "Save for later" in client.get(published_story.get_absolute_url()).content.decode()
    client.post(reverse("stories:save", args=[published_story.pk]))
    client.post(reverse("stories:save", args=[published_story.pk]))  # twice: still one
    assert SavedStory.objects.filter(member=member).count() == 1
    html = client.get(reverse("stories:saved")).content.decode()
    assert published_story.title in html
    assert (
        "Remove from saved stories"
        in client.get(published_story.get_absolute_url()).content.decode()
    )
    client.post(reverse("stories:save", args=[published_story.pk]), {"action": "unsave"})
    assert not SavedStory.objects.exists()
    assert (
        published_story.title
        not in client.get(reverse("stories:saved")).content.decode().split("<main", 1)[1]
    )


def test_saved_list_needs_log_in(client, published_story):
    assert client.get(reverse("stories:saved")).status_code == 302
    assert client.post(reverse("stories:save", args=[published_story.pk])).status_code == 302
    assert not SavedStory.objects.exists()


def test_visits_remember_the_previous_one(member, published_story):
    assert services.story_visit(member=member, story=published_story) is None
    StoryVisit.objects.update(last_seen_at=timezone.now() - datetime.timedelta(hours=2))
    previous = services.story_visit(member=member, story=published_story)
    assert timezone.now() - previous > datetime.timedelta(hours=1)
    assert StoryVisit.objects.get().last_seen_at > previous


def test_story_page_records_the_visit(client, member, published_story):
    client.force_login(member)
    client.get(published_story.get_absolute_url())
    assert StoryVisit.objects.filter(member=member, story=published_story).exists()
    client.logout()
    client.get(published_story.get_absolute_url())
    assert StoryVisit.objects.count() == 1


def test_a_reload_within_a_minute_writes_nothing(member, published_story):
    services.story_visit(member=member, story=published_story)
    first = StoryVisit.objects.get().last_seen_at
    assert services.story_visit(member=member, story=published_story) == first
    assert StoryVisit.objects.get().last_seen_at == first
    StoryVisit.objects.update(last_seen_at=first - services.VISIT_REFRESH)
    services.story_visit(member=member, story=published_story)
    assert StoryVisit.objects.get().last_seen_at > first


@pytest.mark.django_db(transaction=True)
def test_visit_marks_do_not_wait_for_the_disk(member, published_story):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        services.story_visit(member=member, story=published_story)
    sql = [q["sql"] for q in queries.captured_queries]
    assert "SET LOCAL synchronous_commit TO OFF" in sql
    assert StoryVisit.objects.filter(member=member, story=published_story).exists()
