import datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from care2.users.models import Message
from comments import services
from comments.models import Comment, Tracking
from comments.services import CommentError, comment_create
from stories.models import Story
from tests.comments.factories import CommentFactory, TrackingFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(author, story, body="A comment.", **kwargs):
    return comment_create(author=author, story=story, body=body, **kwargs)


class TestCreate:
    def test_creates_counts_and_sanitizes(self, member, story):
        comment = post(member, story, "  Hello <b>there</b>\nsee https://example.org  ")
        comment.refresh_from_db()
        assert comment.body == "Hello <b>there</b>\nsee https://example.org"
        assert "&lt;b&gt;" in comment.body_html
        assert 'rel="nofollow ugc noopener"' in comment.body_html
        assert comment.depth == 1 and comment.parent is None
        assert comment.path == f"{comment.pk:010d}"
        story.refresh_from_db()
        assert story.comment_count == 1

    @pytest.mark.parametrize("body", ["", "   ", "\n\t\n"])
    def test_empty_refused(self, member, story, body):
        with pytest.raises(CommentError, match="empty"):
            post(member, story, body)
        assert not Comment.objects.exists()

    def test_length_limit_after_trimming(self, member, story):
        post(member, story, "  " + "x" * 5000 + "  ")
        with pytest.raises(CommentError, match="5,000"):
            post(member, story, "x" * 5001)

    @pytest.mark.parametrize("status", ["new", "hidden", "rejected", "expired"])
    def test_only_published_stories(self, member, category, status):
        story = StoryFactory(category=category, status=status)
        with pytest.raises(CommentError, match="published"):
            post(member, story)
        story.refresh_from_db()
        assert story.comment_count == 0

    def test_story_unpublished_since_page_was_shown(self, member, story):
        Story.objects.filter(pk=story.pk).update(status=Story.Status.HIDDEN)
        with pytest.raises(CommentError):
            post(member, story)  # the in-memory story still says published
        assert not Comment.objects.exists()

    def test_unverified_member_refused(self, story):
        with pytest.raises(CommentError, match="verify"):
            post(UserFactory(verified=False), story)

    def test_awards_credits_in_the_transaction(self, member, story, credits_calls):
        comment = post(member, story)
        assert credits_calls["award"] == [
            {
                "member": member,
                "action": "comment",
                "target": comment,
                "key": f"comment:{comment.pk}",
            }
        ]

    def test_track_box_tracks(self, member, story):
        post(member, story, track=True)
        assert Tracking.objects.filter(member=member, story=story).exists()
        post(member, story, track=True)  # already tracking: still one row
        assert Tracking.objects.filter(member=member).count() == 1

    def test_without_track_box_no_tracking(self, member, story):
        post(member, story)
        assert not Tracking.objects.exists()


class TestThreading:
    def test_replies_nest_and_order(self, member, other_member, story):
        from comments.selectors import story_thread

        first = post(member, story, "first")
        second = post(other_member, story, "second")
        reply_1 = post(other_member, story, "reply to first", parent=first)
        reply_2 = post(member, story, "second reply to first", parent=first)
        nested = post(member, story, "reply to reply", parent=reply_1)
        assert reply_1.depth == 2 and nested.depth == 3
        assert nested.path.startswith(reply_1.path) and reply_1.path.startswith(first.path)
        order = [c.pk for c in story_thread(story=story)]
        assert order == [first.pk, reply_1.pk, nested.pk, reply_2.pk, second.pk]

    def test_order_follows_ids_beyond_one_digit_width(self, member, story):
        from comments.selectors import story_thread

        # Paths compare as strings: zero padding keeps 9 before 10, 99 before 100.
        comments = [post(member, story, f"c{i}") for i in range(12)]
        assert [c.pk for c in story_thread(story=story)] == [c.pk for c in comments]

    def test_depth_cap_attaches_at_max_depth(self, member, story, settings):
        parent = post(member, story, "depth 1")
        chain = [parent]
        for depth in range(2, 9):
            chain.append(post(member, story, f"depth {depth}", parent=chain[-1]))
        assert chain[-1].depth == 8
        too_deep = post(member, story, "reply to depth 8", parent=chain[-1])
        assert too_deep.depth == 8
        assert too_deep.parent_id == chain[-2].pk  # a sibling of the comment it answers
        again = post(member, story, "reply to that", parent=too_deep)
        assert again.depth == 8 and again.parent_id == chain[-2].pk

    def test_depth_cap_is_a_setting(self, member, story, settings):
        settings.COMMENT_MAX_DEPTH = 2
        top = post(member, story)
        reply = post(member, story, parent=top)
        deeper = post(member, story, parent=reply)
        assert (reply.depth, deeper.depth, deeper.parent_id) == (2, 2, top.pk)

    def test_reply_must_be_on_the_same_story(self, member, story, category):
        other = StoryFactory(category=category, published=True)
        parent = post(member, other)
        with pytest.raises(CommentError, match="same story"):
            post(member, story, parent=parent)

    def test_cannot_reply_to_a_deleted_comment(self, member, story):
        parent = post(member, story)
        services.comment_delete(comment=parent, member=member)
        with pytest.raises(CommentError, match="gone"):
            post(member, story, parent=parent)


class TestEdit:
    def test_author_edits_within_window(self, member, story):
        comment = post(member, story, "frist")
        services.comment_edit(comment=comment, editor=member, body="first <i>")
        comment.refresh_from_db()
        assert comment.body == "first <i>" and "&lt;i&gt;" in comment.body_html
        assert comment.edited_at is not None

    def test_unchanged_text_is_not_an_edit(self, member, story):
        comment = post(member, story, "same")
        services.comment_edit(comment=comment, editor=member, body=" same ")
        comment.refresh_from_db()
        assert comment.edited_at is None

    def test_window_closes(self, member, story, settings):
        comment = post(
            member, story, "old", created_at=timezone.now() - datetime.timedelta(minutes=31)
        )
        with pytest.raises(CommentError, match="30 minutes"):
            services.comment_edit(comment=comment, editor=member, body="new")
        assert not services.comment_can_edit(comment=comment, member=member)
        comment.refresh_from_db()
        assert comment.body == "old"

    def test_window_is_a_setting(self, member, story, settings):
        settings.COMMENT_EDIT_MINUTES = 60
        comment = post(
            member, story, "old", created_at=timezone.now() - datetime.timedelta(minutes=31)
        )
        services.comment_edit(comment=comment, editor=member, body="new")
        comment.refresh_from_db()
        assert comment.body == "new" and comment.edited_at is not None

    def test_only_the_author(self, member, other_member, story):
        comment = post(member, story)
        with pytest.raises(CommentError, match="your own"):
            services.comment_edit(comment=comment, editor=other_member, body="hijack")
        assert not services.comment_can_edit(comment=comment, member=other_member)

    def test_empty_edit_refused(self, member, story):
        comment = post(member, story)
        with pytest.raises(CommentError, match="empty"):
            services.comment_edit(comment=comment, editor=member, body="  ")

    def test_deleted_comment_cannot_be_edited(self, member, story):
        comment = post(member, story)
        services.comment_delete(comment=comment, member=member)
        with pytest.raises(CommentError):
            services.comment_edit(comment=comment, editor=member, body="back")


class TestDelete:
    def test_without_replies_disappears(self, member, story):
        from comments.selectors import story_thread

        comment = post(member, story)
        services.comment_delete(comment=comment, member=member)
        comment.refresh_from_db()
        assert comment.status == Comment.Status.DELETED and comment.deleted_at
        assert story_thread(story=story) == []
        story.refresh_from_db()
        assert story.comment_count == 0

    def test_with_replies_stays_as_placeholder(self, member, other_member, story):
        from comments.selectors import story_thread

        parent = post(member, story, "parent")
        child = post(other_member, story, "child", parent=parent)
        grandchild = post(member, story, "grandchild", parent=child)
        services.comment_delete(comment=parent, member=member)
        services.comment_delete(comment=child, member=other_member)
        thread = story_thread(story=story)
        assert [(c.pk, c.status) for c in thread] == [
            (parent.pk, "deleted"),
            (child.pk, "deleted"),
            (grandchild.pk, "visible"),
        ]
        story.refresh_from_db()
        assert story.comment_count == 1

    def test_whole_deleted_branch_disappears(self, member, other_member, story):
        from comments.selectors import story_thread

        parent = post(member, story)
        child = post(other_member, story, parent=parent)
        services.comment_delete(comment=child, member=other_member)
        services.comment_delete(comment=parent, member=member)
        assert story_thread(story=story) == []

    def test_only_the_author_and_only_once(self, member, other_member, story, credits_calls):
        comment = post(member, story)
        with pytest.raises(CommentError, match="your own"):
            services.comment_delete(comment=comment, member=other_member)
        services.comment_delete(comment=comment, member=member)
        with pytest.raises(CommentError, match="already"):
            services.comment_delete(comment=Comment.objects.get(pk=comment.pk), member=member)
        story.refresh_from_db()
        assert story.comment_count == 0
        assert credits_calls["reverse"] == []  # the author's own deletion keeps the credit


class TestRemove:
    def test_moderator_removes_with_reason(self, member, moderator, story, credits_calls):
        from django.contrib.admin.models import LogEntry

        comment = post(member, story, "buy cheap pills")
        services.comment_remove(comment=comment, moderator=moderator, reason="spam", note="pills")
        comment.refresh_from_db()
        assert comment.status == "removed"
        assert (comment.removed_by, comment.removal_reason, comment.removal_note) == (
            moderator,
            "spam",
            "pills",
        )
        assert comment.body == "buy cheap pills"  # kept for the audit
        story.refresh_from_db()
        assert story.comment_count == 0
        assert credits_calls["reverse"] == [{"key": f"comment:{comment.pk}", "reason": "spam"}]
        assert LogEntry.objects.filter(object_id=str(comment.pk), user=moderator).exists()

    def test_other_reasons_keep_credits(self, member, moderator, story, credits_calls):
        comment = post(member, story)
        services.comment_remove(comment=comment, moderator=moderator, reason="off_topic")
        assert credits_calls["reverse"] == []

    def test_removed_text_never_shown(self, member, other_member, moderator, story, client):
        parent = post(member, story, "SECRET-REMOVED-TEXT")
        post(other_member, story, "a reply stays", parent=parent)
        services.comment_remove(comment=parent, moderator=moderator, reason="abuse")
        html = client.get(story.get_absolute_url()).content.decode()
        assert "SECRET-REMOVED-TEXT" not in html
        assert "Comment removed by a moderator." in html
        assert "a reply stays" in html

    def test_members_cannot_remove(self, member, other_member, story):
        comment = post(member, story)
        with pytest.raises(CommentError, match="moderators"):
            services.comment_remove(comment=comment, moderator=other_member, reason="spam")

    def test_reason_required(self, member, moderator, story):
        comment = post(member, story)
        with pytest.raises(CommentError, match="reason"):
            services.comment_remove(comment=comment, moderator=moderator, reason="because")

    def test_removing_twice_is_refused_and_counts_once(self, member, moderator, story):
        comment = post(member, story)
        services.comment_remove(comment=comment, moderator=moderator, reason="spam")
        with pytest.raises(CommentError, match="already"):
            services.comment_remove(comment=comment, moderator=moderator, reason="spam")
        story.refresh_from_db()
        assert story.comment_count == 0

    def test_removing_a_deleted_comment_keeps_the_count(
        self, member, moderator, story, credits_calls
    ):
        comment = post(member, story)
        post(member, story)
        services.comment_delete(comment=comment, member=member)
        services.comment_remove(comment=comment, moderator=moderator, reason="spam")
        story.refresh_from_db()
        assert story.comment_count == 1
        assert len(credits_calls["reverse"]) == 1

    def test_database_requires_a_reason(self, member, story):
        from django.db import IntegrityError

        comment = post(member, story)
        with pytest.raises(IntegrityError), transaction.atomic():
            Comment.objects.filter(pk=comment.pk).update(status="removed")


class TestCountMatchesVisibleComments:
    def test_after_a_mix_of_actions(self, member, other_member, moderator, story):
        a = post(member, story)
        b = post(other_member, story, parent=a)
        c = post(member, story)
        post(other_member, story, parent=c)
        services.comment_delete(comment=a, member=member)
        services.comment_remove(comment=b, moderator=moderator, reason="spam")
        story.refresh_from_db()
        assert story.comment_count == Comment.objects.filter(story=story).visible().count() == 2


class TestTracking:
    def test_start_and_stop(self, member, story):
        assert services.tracking_start(member=member, story=story) is True
        assert services.tracking_start(member=member, story=story) is False
        assert services.tracking_stop(member_id=member.pk, story_id=story.pk) is True
        assert services.tracking_stop(member_id=member.pk, story_id=story.pk) is False

    def test_token_round_trip_and_tamper(self, member, story):
        token = services.stop_tracking_token(member_id=member.pk, story_id=story.pk)
        assert services.stop_tracking_token_load(token) == (member.pk, story.pk)
        assert services.stop_tracking_token_load(token[:-2] + "xx") is None
        assert services.stop_tracking_token_load("garbage") is None


class TestNotifications:
    def test_trackers_get_one_message_each_but_not_the_author(
        self, member, other_member, story, django_capture_on_commit_callbacks
    ):
        tracker = UserFactory(first_name="Tess")
        TrackingFactory(member=tracker, story=story)
        TrackingFactory(member=member, story=story)
        with django_capture_on_commit_callbacks(execute=True):
            comment = post(member, story, "x" * 300, track=True)
        assert not Message.objects.filter(recipient=member).exists()  # no self-notification
        message = Message.objects.get(recipient=tracker)
        assert message.key == f"comment:{comment.pk}"
        assert message.subject == f"Beth S commented on “{story.title}”"
        assert message.body.startswith("x" * 199 + "…\n\nStop tracking this story: http")
        assert message.url == f"{story.get_absolute_url()}#comment-{comment.pk}"
        assert message.is_unread

    def test_email_only_to_those_who_chose_it(
        self, member, story, django_capture_on_commit_callbacks
    ):
        emailed = UserFactory(email_on_tracked_comments=True)
        quiet = UserFactory(email_on_tracked_comments=False)
        for user in (emailed, quiet):
            TrackingFactory(member=user, story=story)
        with django_capture_on_commit_callbacks(execute=True):
            comment = post(member, story, "Look at https://example.org/report")
        assert Message.objects.filter(key=f"comment:{comment.pk}").count() == 2
        assert [m.to for m in mail.outbox] == [[emailed.email]]
        email = mail.outbox[0]
        assert story.title in email.subject
        assert "https://example.org/report" in email.body
        assert "/comments/stop-tracking/" in email.body
        assert email.extra_headers["List-Unsubscribe"].startswith("<http")
        assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_stop_link_in_message_works(
        self, member, story, client, django_capture_on_commit_callbacks
    ):
        tracker = UserFactory()
        TrackingFactory(member=tracker, story=story)
        with django_capture_on_commit_callbacks(execute=True):
            post(member, story)
        url = Message.objects.get(recipient=tracker).body.rsplit(" ", 1)[1]
        assert url.startswith(f"{settings.SITE_URL}/comments/stop-tracking/")
        path = urlsplit(url).path
        assert client.get(path).status_code == 200
        assert Tracking.objects.filter(member=tracker).exists()  # GET never acts
        client.post(path)
        assert not Tracking.objects.filter(member=tracker).exists()

    def test_delivering_twice_makes_one_message_and_one_email(self, member, story):
        tracker = UserFactory(email_on_tracked_comments=True)
        TrackingFactory(member=tracker, story=story)
        comment = post(member, story)  # on_commit never runs in this test's transaction
        assert services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[tracker.pk]) == 1
        assert services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[tracker.pk]) == 0
        from comments.tasks import comment_notify_task

        comment_notify_task.apply(args=[comment.pk])
        assert Message.objects.filter(recipient=tracker).count() == 1
        assert len(mail.outbox) == 1

    def test_rolled_back_comment_notifies_nobody(
        self, member, story, django_capture_on_commit_callbacks
    ):
        tracker = UserFactory()
        TrackingFactory(member=tracker, story=story)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            post(member, story)
            raise RuntimeError("something later in the request failed")
        assert callbacks == []
        assert not Comment.objects.exists() and not Message.objects.exists()
        story.refresh_from_db()
        assert story.comment_count == 0

    def test_removed_before_delivery_sends_nothing(
        self, member, moderator, story, django_capture_on_commit_callbacks
    ):
        tracker = UserFactory(email_on_tracked_comments=True)
        TrackingFactory(member=tracker, story=story)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            comment = post(member, story)
        services.comment_remove(comment=comment, moderator=moderator, reason="spam")
        for callback in callbacks:
            callback()  # the task runs after the moderator acted
        assert not Message.objects.exists() and mail.outbox == []

    def test_deleted_before_delivery_sends_nothing(
        self, member, story, django_capture_on_commit_callbacks
    ):
        TrackingFactory(story=story)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            comment = post(member, story)
        services.comment_delete(comment=comment, member=member)
        for callback in callbacks:
            callback()
        assert not Message.objects.exists()

    def test_stopped_tracking_before_delivery(self, member, story):
        tracker = UserFactory()
        TrackingFactory(member=tracker, story=story)
        comment = post(member, story)
        services.tracking_stop(member_id=tracker.pk, story_id=story.pk)
        assert services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[tracker.pk]) == 0

    def test_inactive_members_are_skipped(self, member, story, django_capture_on_commit_callbacks):
        TrackingFactory(member=UserFactory(is_active=False), story=story)
        with django_capture_on_commit_callbacks(execute=True):
            post(member, story)
        assert not Message.objects.exists()

    def test_unknown_comment_is_a_no_op(self):
        from comments.tasks import comment_notify_batch_task, comment_notify_task

        assert comment_notify_task.apply(args=[987654]).get() == 0
        assert comment_notify_batch_task.apply(args=[987654, [1, 2]]).get() == 0

    def test_fan_out_in_batches(self, member, story, settings, django_assert_max_num_queries):
        """10,000 trackers: bulk inserts per batch, not one round trip per tracker."""
        from care2.users.models import User
        from comments.models import Tracking
        from comments.tasks import comment_notify_task

        settings.NOTIFY_BATCH_SIZE = 2000
        users = User.objects.bulk_create(
            User(
                email=f"fan{i}@example.com",
                first_name="Fan",
                email_on_tracked_comments=(i % 100 == 0),
            )
            for i in range(10_000)
        )
        Tracking.objects.bulk_create(Tracking(member=u, story=story) for u in users)
        comment = post(member, story)
        with django_assert_max_num_queries(60):
            assert comment_notify_task.apply(args=[comment.pk]).get() == 5
        assert Message.objects.filter(key=f"comment:{comment.pk}").count() == 10_000
        assert len(mail.outbox) == 100
        # A redelivery of the whole task adds nothing.
        comment_notify_task.apply(args=[comment.pk])
        assert Message.objects.filter(key=f"comment:{comment.pk}").count() == 10_000
        assert len(mail.outbox) == 100

    def test_batches_are_keyset_paged(self, member, story):
        trackers = [TrackingFactory(story=story).member_id for _ in range(7)]
        comment = post(member, story)
        batches = list(services.comment_tracker_batches(comment_id=comment.pk, batch_size=3))
        assert [len(b) for b in batches] == [3, 3, 1]
        assert sorted(sum(batches, [])) == sorted(trackers)

    def test_message_excerpt_is_plain_text(self, member, story, django_capture_on_commit_callbacks):
        tracker = UserFactory()
        TrackingFactory(member=tracker, story=story)
        with django_capture_on_commit_callbacks(execute=True):
            post(member, story, "<script>alert(1)</script> hi")
        assert Message.objects.get(recipient=tracker).body.startswith(
            "<script>alert(1)</script> hi"
        )


def test_comment_factory_keeps_counts(story):
    c = CommentFactory(story=story)
    CommentFactory(parent=c)
    story.refresh_from_db()
    assert story.comment_count == 2
