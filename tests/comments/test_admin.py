import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from comments.models import Comment
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def test_moderator_sees_comments_including_removed_text(as_moderator, story):
    CommentFactory(
        story=story, body="Findable words", status=Comment.Status.REMOVED, removal_reason="abuse"
    )
    response = as_moderator.get(reverse("admin:comments_comment_changelist"), {"q": "Findable"})
    assert response.status_code == 200
    assert "Findable words" in response.content.decode()


def test_remove_as_spam_action(as_moderator, moderator, story, credits_calls):
    spam = CommentFactory.create_batch(2, story=story)
    keep = CommentFactory(story=story)
    response = as_moderator.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "remove_as_spam", "_selected_action": [c.pk for c in spam]},
        follow=True,
    )
    assert "2 comments removed (spam)." in response.content.decode()
    for comment in spam:
        comment.refresh_from_db()
        assert (comment.status, comment.removal_reason, comment.removed_by) == (
            "removed",
            "spam",
            moderator,
        )
    keep.refresh_from_db()
    assert keep.is_visible
    story.refresh_from_db()
    assert story.comment_count == 1
    assert sorted(c["key"] for c in credits_calls["reverse"]) == sorted(
        f"comment:{c.pk}" for c in spam
    )
    assert LogEntry.objects.filter(user=moderator).count() == 2


def test_other_reason_action_keeps_credits(as_moderator, story, credits_calls):
    comment = CommentFactory(story=story)
    as_moderator.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "remove_off_topic", "_selected_action": [comment.pk]},
    )
    comment.refresh_from_db()
    assert comment.removal_reason == "off_topic"
    assert credits_calls["reverse"] == []


def test_moderators_cannot_edit_or_delete_rows(as_moderator, story):
    comment = CommentFactory(story=story, body="original")
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    as_moderator.post(url, {"body": "rewritten"})
    comment.refresh_from_db()
    assert comment.body == "original"
    assert (
        as_moderator.post(
            reverse("admin:comments_comment_delete", args=[comment.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_members_have_no_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:comments_comment_changelist"))
    assert response.status_code == 302
