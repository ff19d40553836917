"""A member's public page: name, number, avatar, bio, member since, their stories and
their comments, each list paged on its own, in a fixed number of queries."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from care2.users.services import user_suspend
from comments.models import Comment
from credits.services import credit_adjust
from stories.models import Story
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def profile(client, member, **query):
    return client.get(reverse("users:profile", args=[member.pk]), query)


def test_name_number_avatar_bio_and_since(client):
    member = UserFactory(
        first_name="Beth",
        last_name="summers",
        bio="I garden.\nAnd <b>write</b>.",
        date_joined=timezone.make_aware(datetime.datetime(2015, 1, 22, 12)),
    )
    credit_adjust(member=member, amount=19, note="welcome gift")
    html = profile(client, member).content.decode()
    assert "Beth S</bdi></a>" in html and "(19)" in html
    assert 'class="avatar" width="128" height="128"' in html and ">BS</text>" in html
    assert "I garden.<br>And &lt;b&gt;write&lt;/b&gt;." in html
    assert "Member since" in html and "January 22, 2015" in html
    assert "{# petitions" not in html


def test_odd_names_are_escaped(client):
    member = UserFactory(first_name="<script>alert(1)</script>", last_name="")
    html = profile(client, member).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_only_what_readers_may_see(client, category):
    member = UserFactory()
    shown = StoryFactory(submitter=member, category=category, published=True, title="Shown story")
    StoryFactory(submitter=member, category=category, title="Waiting story")
    StoryFactory(
        submitter=member, category=category, status=Story.Status.REJECTED, title="Rejected story"
    )
    hidden_story = StoryFactory(
        category=category, status=Story.Status.HIDDEN, published_at=timezone.now()
    )
    visible = CommentFactory(story=shown, author=member, body="Visible remark")
    CommentFactory(story=shown, author=member, body="Deleted remark", status=Comment.Status.DELETED)
    CommentFactory(
        story=shown,
        author=member,
        body="Removed remark",
        status=Comment.Status.REMOVED,
        removal_reason="spam",
    )
    CommentFactory(story=shown, author=member, body="Hidden remark", status=Comment.Status.HIDDEN)
    CommentFactory(story=hidden_story, author=member, body="Remark on a hidden story")
    html = profile(client, member).content.decode()
    assert "Shown story" in html and "Waiting story" in html
    assert "Rejected story" not in html
    assert "Visible remark" in html
    for gone in ("Deleted remark", "Removed remark", "Hidden remark", "Remark on a hidden story"):
        assert gone not in html
    assert f'href="{reverse("comments:permalink", args=[visible.pk])}"' in html
    assert "Comments (1)" in html and "Stories (2)" in html


def test_stories_and_comments_page_separately(client, category):
    member = UserFactory()
    story = StoryFactory(category=category, published=True, title="Talk")
    for n in range(25):
        StoryFactory(submitter=member, category=category, published=True, title=f"Mine {n:02d}")
    for n in range(45):
        CommentFactory(story=story, author=member, body=f"Remark {n:02d}")
    html = profile(client, member, stories=2, comments=3).content.decode()
    assert "Page 2 of 2" in html and "Page 3 of 3" in html
    # newest first: the second page of stories holds the 5 oldest
    assert "Mine 04" in html and "Mine 05" not in html
    assert "Remark 00" in html and "Remark 05" not in html
    # each list's links keep the other list's page
    links = re.findall(r'href="\?([^"#]+)#', html)
    assert "stories=1&amp;comments=3" in links
    assert "stories=2&amp;comments=2" in links


def test_bad_page_numbers_fall_back(client, member):
    response = profile(client, member, stories="x", comments="999")
    assert response.status_code == 200


def test_queries_do_not_grow_with_the_lists(client, category, django_assert_max_num_queries):
    member = UserFactory()
    story = StoryFactory(category=category, published=True)
    StoryFactory(submitter=member, category=category, published=True)
    CommentFactory(story=story, author=member)
    profile(client, member)
    with django_assert_max_num_queries(12) as few:
        profile(client, member)
    StoryFactory.create_batch(15, submitter=member, category=category, published=True)
    for other in StoryFactory.create_batch(15, category=category, published=True):
        CommentFactory(story=other, author=member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        profile(client, member)


def test_suspended_member_still_shows(client):
    member = UserFactory(first_name="Paused")
    user_suspend(user=member, by=None, reason="cool off")
    response = profile(client, member)
    assert response.status_code == 200 and "Paused" in response.content.decode()


def test_inactive_member_is_404(client):
    member = UserFactory(is_active=False)
    assert profile(client, member).status_code == 404


def test_unknown_member_is_404(client):
    assert client.get(reverse("users:profile", args=[987654])).status_code == 404


def test_the_petitions_pager_keeps_the_other_lists_pages(client, member, category):
    from tests.petitions.factories import PetitionFactory

    PetitionFactory.create_batch(12, creator=member, category=category)
    html = client.get(member.get_absolute_url(), {"stories": 2, "comments": 3}).content.decode()
    assert 'href="?stories=2&amp;comments=3&amp;petitions=2"' in html
