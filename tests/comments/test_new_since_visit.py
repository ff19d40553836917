""" "New since your last visit": a member sees which comments others wrote after their
previous visit to the story; nothing is marked on a first visit, their own comments never
are, and readers see no markers at all."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from stories.models import StoryVisit
from tests.comments.factories import CommentFactory, bulk_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def new_comment_ids(html: str) -> set[int]:
    """Ids of the comments marked new (the class and the badge go together)."""
    marked = set()
    for match in re.finditer(r'<article class="([^"]*)" id="comment-(\d+)"', html):
        if "comment-new" in match.group(1).split():
            marked.add(int(match.group(2)))
    return marked


def visited(member, story, *, ago: datetime.timedelta):
    StoryVisit.objects.create(member=member, story=story, last_seen_at=timezone.now() - ago)


@pytest.fixture
def thread(story, member, other_member):
    """Two comments before the member's previous visit (a day ago), then one by another
    member and one by the member themself (an hour ago)."""
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    old = CommentFactory(story=story, author=other_member, created_at=two_days_ago)
    old_reply = CommentFactory(story=story, author=member, parent=old, created_at=two_days_ago)
    fresh = CommentFactory(story=story, author=other_member, parent=old, created_at=hour_ago)
    own = CommentFactory(story=story, author=member, created_at=hour_ago)
    visited(member, story, ago=datetime.timedelta(days=1))
    return {"old": old, "old_reply": old_reply, "fresh": fresh, "own": own}


def test_comment_after_previous_visit_is_marked(client, member, story, thread):
    client.force_login(member)
    html = client.get(story.get_absolute_url()).content.decode()
    assert new_comment_ids(html) == {thread["fresh"].pk}
    assert html.count('data-testid="new-badge"') == 1
    assert "1 comment since your last visit" in html
    assert f'href="#comment-{thread["fresh"].pk}"' in html


def test_own_and_older_comments_are_not_marked(client, member, story, thread):
    client.force_login(member)
    marked = new_comment_ids(client.get(story.get_absolute_url()).content.decode())
    assert thread["own"].pk not in marked
    assert thread["old"].pk not in marked and thread["old_reply"].pk not in marked


def test_the_visit_moves_on(client, member, story, thread):
    """Opening the page records the visit: the next load marks nothing new."""
    client.force_login(member)
    client.get(story.get_absolute_url())
    html = client.get(story.get_absolute_url()).content.decode()
    assert new_comment_ids(html) == set()
    assert 'data-testid="new-since-visit"' not in html


def test_first_visit_marks_nothing(client, story, other_member):
    newcomer = UserFactory()
    CommentFactory(story=story, author=other_member)
    client.force_login(newcomer)
    html = client.get(story.get_absolute_url()).content.decode()
    assert new_comment_ids(html) == set()
    assert 'data-testid="new-badge"' not in html
    assert StoryVisit.objects.filter(member=newcomer, story=story).exists()


def test_readers_see_no_markers(client, story, thread):
    html = client.get(story.get_absolute_url()).content.decode()
    assert html.count('data-testid="comment"') == 4
    assert new_comment_ids(html) == set()
    assert 'data-testid="new-badge"' not in html
    assert 'data-testid="new-since-visit"' not in html


def test_removed_comment_is_not_marked(client, member, story, thread, other_member):
    """A placeholder ("comment deleted") is not news, even when its row is recent."""
    gone = CommentFactory(story=story, author=other_member, status="deleted")
    CommentFactory(story=story, author=other_member, parent=gone)
    client.force_login(member)
    html = client.get(story.get_absolute_url()).content.decode()
    assert gone.pk not in new_comment_ids(html)
    assert f'id="comment-{gone.pk}"' in html


def test_markers_keep_the_query_count_constant(
    client, member, story, other_member, django_assert_max_num_queries
):
    visited(member, story, ago=datetime.timedelta(days=1))
    authors = [other_member, member, UserFactory()]
    bulk_thread(story=story, authors=authors, count=10)
    client.force_login(member)
    url = story.get_absolute_url()
    cache.clear()  # cold like the second request (the session and the member's facts too)
    with django_assert_max_num_queries(25) as small:
        html = client.get(url).content.decode()
    assert len(new_comment_ids(html)) == 7  # ten comments, three of them the member's
    StoryVisit.objects.filter(member=member).update(
        last_seen_at=timezone.now() - datetime.timedelta(days=1)
    )
    bulk_thread(story=story, authors=authors, count=290)
    cache.clear()  # the sidebars are cached: both requests start cold
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        html = client.get(url).content.decode()
    assert len(new_comment_ids(html)) == 200
    assert len(large.captured_queries) == len(small.captured_queries)
