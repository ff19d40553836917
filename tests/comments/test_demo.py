import io

import pytest

from comments import demo as comments_demo
from comments.models import Comment, Tracking
from stories import demo as stories_demo
from stories.models import Story

pytestmark = pytest.mark.django_db


def test_every_published_demo_story_gets_a_threaded_dated_discussion(
    django_capture_on_commit_callbacks,
):
    stories_demo.load(stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        comments_demo.load(stdout=io.StringIO())
    published = Story.objects.published()
    assert published.exists()
    for story in published:
        comments = list(Comment.objects.filter(story=story))
        assert len(comments) >= 3, story
        assert any(c.parent_id for c in comments), story
        assert story.comment_count == len(comments)
        assert all(c.created_at >= (story.published_at or story.created_at) for c in comments)
        assert all(c.author_id != story.submitter_id for c in comments if c.depth == 1)
    assert Comment.objects.filter(depth=3).exists()
    assert Comment.objects.filter(body_html__contains='rel="nofollow ugc noopener"').exists()
    assert Tracking.objects.filter(member__email="demo@care2.example").count() == 2
    from care2.users.models import Message

    assert Message.objects.filter(recipient__email="demo@care2.example").exists()


def test_loading_twice_changes_nothing(django_capture_on_commit_callbacks):
    stories_demo.load(stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        comments_demo.load(stdout=io.StringIO())
    before = list(Comment.objects.order_by("pk").values_list("pk", "body", "path", "created_at"))
    counts = dict(Story.objects.values_list("pk", "comment_count"))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        comments_demo.load(stdout=out)
    assert "0 created" in out.getvalue()
    assert (
        list(Comment.objects.order_by("pk").values_list("pk", "body", "path", "created_at"))
        == before
    )
    assert dict(Story.objects.values_list("pk", "comment_count")) == counts


def test_without_stories_it_skips():
    out = io.StringIO()
    comments_demo.load(stdout=out)
    assert "skipped" in out.getvalue()
    assert not Comment.objects.exists()
