"""Many members commenting on one story at once: every comment counts exactly once, the
story's row is locked only at the end of each post, and a post costs a fixed number of
queries."""

import uuid

import psycopg.errors
import pytest
from django.core.management import call_command
from django.db import DataError, OperationalError, transaction
from django.db.models import signals
from django.urls import reverse

from care2.models import OutboxMessage
from comments import services
from comments.models import Comment, Tracking, path_segment
from comments.services import CommentError, comment_counts_reconcile, comment_create
from credits.models import CreditEntry
from stories.models import Story
from stories.services import story_comment_count_add
from tests.comments.factories import TrackingFactory
from tests.factories import StoryFactory, UserFactory
from tests.races import race

# A comment POST's queries: the request's own (the member, the verified e-mail, the
# story) and the post's transaction: the comment whole (its id drawn in the INSERT that
# builds its path from it), the credits, the outbox row and, last, the count. The broker
# hand-off and the page cache bump run after the commit. No lookup of an earlier
# submission, of tracking, nor an UPDATE of the path: those were three more.
POST_QUERIES = 21
# The service alone (the e-mail check and the transaction), for the first comment of
# the day: the credits pay.
CREATE_QUERIES = 16


def deadlock() -> OperationalError:
    """What Django raises when PostgreSQL breaks a lock cycle by rolling us back."""
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


@pytest.mark.django_db(transaction=True)
def test_many_members_posting_at_once_count_exactly():
    story = StoryFactory(published=True)
    members = [UserFactory() for _ in range(8)]

    def post(member):
        return comment_create(
            author=member,
            story=Story.objects.get(pk=story.pk),
            body="At the same moment",
            submission_key=uuid.uuid4(),
        ).pk

    outcomes = race(post, [(m,) for m in members])
    assert [kind for kind, _ in outcomes] == ["ok"] * 8
    story.refresh_from_db()
    assert story.comment_count == Comment.objects.filter(story=story).count() == 8
    for pk, path in Comment.objects.values_list("pk", "path"):
        assert path == path_segment(pk)
    assert comment_counts_reconcile() == []


@pytest.mark.django_db
class TestOnePost:
    def test_a_reply_goes_in_with_its_whole_path(self, member, other_member, story):
        top = comment_create(author=member, story=story, body="Top")
        reply = comment_create(author=other_member, story=story, body="Reply", parent=top)
        reply.refresh_from_db()
        assert reply.path == path_segment(top.pk) + path_segment(reply.pk)
        assert reply.depth == 2

    def test_the_row_goes_in_whole_as_saved(self, member, story):
        key = uuid.uuid4()
        seen = []

        def saved(sender, instance, created, **kwargs):
            seen.append((instance.pk, instance.path, created))

        signals.post_save.connect(saved, sender=Comment, dispatch_uid="test-saved")
        try:
            comment = comment_create(
                author=member, story=story, body="Hello <b>you</b>", submission_key=key
            )
        finally:
            signals.post_save.disconnect(dispatch_uid="test-saved", sender=Comment)
        assert seen == [(comment.pk, path_segment(comment.pk), True)]
        stored = Comment.objects.get(pk=comment.pk)
        for field in Comment._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(comment, field.attname), field
        assert stored.submission_key == key and stored.status == Comment.Status.VISIBLE
        comment.body = "Saved again"
        comment.save()  # an UPDATE of the same row, not a second one
        assert Comment.objects.get().body == "Saved again"

    def test_other_databases_insert_then_complete_the_path(
        self, member, other_member, story, monkeypatch
    ):
        from django.db import connection

        top = comment_create(author=member, story=story, body="Top")
        monkeypatch.setattr(connection, "vendor", "sqlite")  # the SQLite of `make run`
        reply = comment_create(author=other_member, story=story, body="Reply", parent=top)
        reply.refresh_from_db()
        assert reply.path == path_segment(top.pk) + path_segment(reply.pk)

    def test_an_over_long_value_is_refused_not_cut(self, member, story):
        with pytest.raises(DataError), transaction.atomic():
            services._comment_row(
                story=story, author=member, path="", body="x", body_html="x", status="x" * 11
            )
        assert not Comment.objects.exists()

    def test_a_story_unpublished_meanwhile_leaves_nothing_behind(self, member, story):
        Story.objects.filter(pk=story.pk).update(status=Story.Status.HIDDEN)
        with pytest.raises(CommentError, match="published"):
            comment_create(author=member, story=story, body="Too late", track=True)
        # The count comes first, in the comment's own statement: no count, no comment, and
        # nothing after it.
        assert not Comment.objects.exists()
        assert not CreditEntry.objects.filter(member=member).exists()
        assert not OutboxMessage.objects.exists()
        assert not Tracking.objects.exists()
        assert Story.objects.get(pk=story.pk).comment_count == 0

    @pytest.mark.django_db(transaction=True)
    def test_a_deadlock_is_retried_and_posts_once(self, member, story, monkeypatch):
        award = services.credit_award
        calls = []

        def first_one_deadlocks(**kwargs):
            calls.append(kwargs)
            if len(calls) == 1:
                raise deadlock()
            return award(**kwargs)

        monkeypatch.setattr(services, "credit_award", first_one_deadlocks)
        comment = comment_create(author=member, story=story, body="Second time lucky")
        assert len(calls) == 2
        assert list(Comment.objects.values_list("pk", flat=True)) == [comment.pk]
        assert Story.objects.get(pk=story.pk).comment_count == 1
        assert CreditEntry.objects.filter(key=f"comment:{comment.pk}").count() == 1
        assert OutboxMessage.objects.count() == 1

    @pytest.mark.django_db(transaction=True)
    def test_a_deadlock_every_time_gives_up(self, member, story, monkeypatch):
        def always(**kwargs):
            raise deadlock()

        monkeypatch.setattr(services, "credit_award", always)
        with pytest.raises(OperationalError):
            comment_create(author=member, story=story, body="Never")
        assert not Comment.objects.exists()

    def test_a_deadlock_inside_an_outer_transaction_is_not_retried(
        self, member, story, monkeypatch
    ):
        calls = []

        def deadlocks(**kwargs):
            calls.append(kwargs)
            raise deadlock()

        monkeypatch.setattr(services, "credit_award", deadlocks)
        with pytest.raises(OperationalError):
            comment_create(author=member, story=story, body="Inside the test's transaction")
        assert len(calls) == 1  # the outer transaction's locks would meet the cycle again

    @pytest.mark.django_db(transaction=True)
    def test_other_database_errors_are_not_retried(self, member, story, monkeypatch):
        calls = []

        def broken(**kwargs):
            calls.append(kwargs)
            raise OperationalError("server closed the connection")

        monkeypatch.setattr(services, "credit_award", broken)
        with pytest.raises(OperationalError):
            comment_create(author=member, story=story, body="Once")
        assert len(calls) == 1

    def test_the_transaction_costs_fixed_queries(
        self, member, story, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(CREATE_QUERIES):
            comment_create(author=member, story=story, body="Counted")

    def test_a_resubmitted_form_returns_the_first_comment(self, member, story):
        key = uuid.uuid4()
        first = comment_create(author=member, story=story, body="Once", submission_key=key)
        again = comment_create(author=member, story=story, body="Once", submission_key=key)
        assert again.pk == first.pk
        assert Comment.objects.count() == 1
        assert Story.objects.get(pk=story.pk).comment_count == 1


@pytest.mark.django_db
class TestThePost:
    def test_a_comment_post_costs_fixed_queries(
        self, client, member, story, django_assert_max_num_queries
    ):
        client.force_login(member)
        url = reverse("comments:add", args=[story.pk])
        with django_assert_max_num_queries(POST_QUERIES):
            response = client.post(url, {"body": "Counted", "submission_key": str(uuid.uuid4())})
        assert response.status_code == 302
        # Past the first comment (the credits already paid today are counted, no more
        # paid past the cap), a post costs no more.
        with django_assert_max_num_queries(POST_QUERIES):
            response = client.post(url, {"body": "Again", "submission_key": str(uuid.uuid4())})
        assert response.status_code == 302
        assert Story.objects.get(pk=story.pk).comment_count == 2

    def test_a_tracking_member_is_not_offered_the_box_again(self, client, member, story):
        TrackingFactory(member=member, story=story)
        client.force_login(member)
        url = reverse("comments:add", args=[story.pk])
        response = client.post(url, {"body": "   ", "track": "on"})
        html = response.content.decode()
        assert response.status_code == 200 and "an empty comment can" in html
        assert 'name="track"' not in html and "You track comments on this story." in html

    def test_the_box_ticked_while_already_tracking_changes_nothing(self, client, member, story):
        TrackingFactory(member=member, story=story)
        client.force_login(member)
        url = reverse("comments:add", args=[story.pk])
        assert client.post(url, {"body": "Still", "track": "on"}).status_code == 302
        assert Tracking.objects.filter(member=member, story=story).count() == 1


@pytest.mark.django_db
class TestReconcile:
    def test_finds_and_fixes_a_drifted_count(self, member, story, capsys):
        comment_create(author=member, story=story, body="One")
        comment_create(author=member, story=story, body="Two")
        StoryFactory(published=True)  # right, so not reported
        story_comment_count_add(story_id=story.pk, delta=3)  # drift, on purpose
        (mismatch,) = comment_counts_reconcile()
        assert (mismatch.story_id, mismatch.counted, mismatch.visible) == (story.pk, 5, 2)
        with pytest.raises(SystemExit):
            call_command("comments_reconcile")
        call_command("comments_reconcile", "--fix")
        assert Story.objects.get(pk=story.pk).comment_count == 2
        assert comment_counts_reconcile() == []
        call_command("comments_reconcile")
        assert "0 mismatch(es)" in capsys.readouterr().out

    def test_hidden_and_deleted_comments_do_not_count(self, member, moderator, story):
        keep = comment_create(author=member, story=story, body="Kept")
        gone = comment_create(author=member, story=story, body="Gone")
        spam = comment_create(author=member, story=story, body="Spam")
        services.comment_delete(comment=gone, member=member)
        services.comment_remove(comment=spam, moderator=moderator, reason="spam")
        assert Story.objects.get(pk=story.pk).comment_count == 1
        assert comment_counts_reconcile() == []
        assert keep.is_visible


@pytest.mark.django_db
def test_removing_comments_of_several_stories_counts_each_down(member, moderator, story):
    other = StoryFactory(published=True)
    ids = [comment_create(author=member, story=s, body="x").pk for s in (story, story, other)]
    comment_create(author=member, story=other, body="stays")
    result = services.comments_remove(comment_ids=ids, moderator=moderator, reason="spam")
    assert result.removed == 3
    assert Story.objects.get(pk=story.pk).comment_count == 0
    assert Story.objects.get(pk=other.pk).comment_count == 1
    assert comment_counts_reconcile() == []
