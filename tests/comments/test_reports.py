"""Members report comments; enough reports hide one until a moderator decides; every
decision is audited; the story's comment count always equals its visible comments."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care2.users.models import AuditEntry
from care2.users.services import user_suspend
from comments import selectors, services
from comments.models import Comment, CommentReport
from stories.models import Story
from tests.comments.factories import CommentFactory
from tests.factories import UserFactory
from tests.races import race_calls

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hide_at_three(settings):
    settings.COMMENT_HIDE_AT_REPORTS = 3


def visible_count(story) -> int:
    return Comment.objects.filter(story=story, status=Comment.Status.VISIBLE).count()


def stored_count(story) -> int:
    return Story.objects.values_list("comment_count", flat=True).get(pk=story.pk)


def report(comment, member=None, reason="spam"):
    return services.comment_report(member=member or UserFactory(), comment=comment, reason=reason)


class TestReporting:
    def test_a_report_is_counted_and_the_comment_stays(self, story):
        comment = CommentFactory(story=story)
        made = report(comment, reason="off_topic")
        assert made.reason == "off_topic"
        comment.refresh_from_db()
        assert comment.report_count == 1 and comment.is_visible
        assert stored_count(story) == 1

    def test_third_report_hides_until_a_moderator_decides(self, story):
        comment = CommentFactory(story=story)
        CommentFactory(story=story)
        for _ in range(3):
            report(comment)
        comment.refresh_from_db()
        assert comment.status == Comment.Status.HIDDEN and comment.hidden_at is not None
        assert stored_count(story) == visible_count(story) == 1
        report(comment)  # a fourth report is still taken; nothing changes twice
        comment.refresh_from_db()
        assert comment.report_count == 4
        assert stored_count(story) == 1

    def test_threshold_is_a_setting(self, story, settings):
        settings.COMMENT_HIDE_AT_REPORTS = 1
        comment = CommentFactory(story=story)
        report(comment)
        comment.refresh_from_db()
        assert comment.is_hidden

    def test_once_per_member_with_a_clear_message(self, story, member):
        comment = CommentFactory(story=story)
        report(comment, member)
        with pytest.raises(services.CommentError, match="already reported"):
            report(comment, member)
        assert CommentReport.objects.count() == 1
        comment.refresh_from_db()
        assert comment.report_count == 1

    def test_database_refuses_a_second_report(self, story, member):
        from django.db import IntegrityError, transaction

        comment = CommentFactory(story=story)
        CommentReport.objects.create(comment=comment, member=member, reason="spam")
        with pytest.raises(IntegrityError), transaction.atomic():
            CommentReport.objects.create(comment=comment, member=member, reason="abuse")

    @pytest.mark.parametrize("reason", ["", "rude", "old_news"])
    def test_reason_must_be_one_of_the_three(self, story, reason):
        with pytest.raises(services.CommentError, match="Choose a reason"):
            report(CommentFactory(story=story), reason=reason)

    def test_not_your_own_comment(self, story, member):
        with pytest.raises(services.CommentError, match="your own comment"):
            report(CommentFactory(story=story, author=member), member)

    @pytest.mark.parametrize("status", [Comment.Status.DELETED, Comment.Status.REMOVED])
    def test_gone_comments_cannot_be_reported(self, story, status):
        comment = CommentFactory(story=story, status=status, removal_reason="spam")
        with pytest.raises(services.CommentError, match="no longer on the site"):
            report(comment)

    def test_suspended_member_cannot_report(self, story):
        member = UserFactory()
        user_suspend(user=member, by=None, reason="spam")
        with pytest.raises(services.CommentError, match="suspended"):
            report(CommentFactory(story=story), member)


class TestModeratorDecisions:
    def hidden(self, story):
        comment = CommentFactory(story=story)
        for _ in range(3):
            report(comment)
        comment.refresh_from_db()
        return comment

    def test_restore_keeps_it_visible_for_good(self, story, moderator):
        comment = self.hidden(story)
        result = services.comments_restore(
            comment_ids=[comment.pk], moderator=moderator, reason="fair criticism"
        )
        assert result.changed == 1
        comment.refresh_from_db()
        assert comment.is_visible and comment.reviewed_at is not None
        assert stored_count(story) == visible_count(story) == 1
        for _ in range(3):
            report(comment)  # more reports no longer hide it
        comment.refresh_from_db()
        assert comment.is_visible and comment.report_count == 6
        entry = AuditEntry.objects.get(action="restore comment")
        assert (entry.actor, entry.target_type, entry.target_id, entry.reason) == (
            moderator,
            "comments.comment",
            str(comment.pk),
            "fair criticism",
        )

    def test_restore_twice_counts_once(self, story, moderator):
        comment = self.hidden(story)
        for _ in range(2):
            services.comments_restore(comment_ids=[comment.pk], moderator=moderator)
        assert stored_count(story) == 1
        assert AuditEntry.objects.filter(action="restore comment").count() == 1

    def test_remove_a_hidden_comment_with_a_reason(self, story, moderator):
        comment = self.hidden(story)
        services.comment_remove(comment=comment, moderator=moderator, reason="abuse", note="slur")
        comment.refresh_from_db()
        assert comment.status == Comment.Status.REMOVED
        assert stored_count(story) == visible_count(story) == 0
        entry = AuditEntry.objects.get(action="remove comment")
        assert entry.actor == moderator and entry.reason == "Abusive or hateful: slur"

    def test_remove_a_visible_comment_counts_down_once(self, story, moderator):
        comment = CommentFactory(story=story)
        services.comment_remove(comment=comment, moderator=moderator, reason="spam")
        assert stored_count(story) == visible_count(story) == 0

    def test_dismiss_reports(self, story, moderator):
        comment = CommentFactory(story=story)
        report(comment)
        result = services.comment_reports_dismiss(
            comment_ids=[comment.pk], moderator=moderator, reason="not spam"
        )
        assert result.changed == 1
        comment.refresh_from_db()
        assert comment.is_visible and not comment.awaits_moderator
        assert AuditEntry.objects.filter(action="dismiss comment reports").count() == 1
        unreported = CommentFactory(story=story)
        assert (
            services.comment_reports_dismiss(
                comment_ids=[unreported.pk], moderator=moderator
            ).changed
            == 0
        )

    def test_only_moderators_decide(self, story, member):
        comment = self.hidden(story)
        with pytest.raises(services.CommentError, match="Only moderators"):
            services.comments_restore(comment_ids=[comment.pk], moderator=member)
        with pytest.raises(services.CommentError, match="Only moderators"):
            services.comment_reports_dismiss(comment_ids=[comment.pk], moderator=member)
        assert not AuditEntry.objects.exists()

    def test_author_deleting_a_visible_comment_after_reports(self, story):
        comment = CommentFactory(story=story)
        report(comment)
        services.comment_delete(comment=comment, member=comment.author)
        assert stored_count(story) == visible_count(story) == 0
        assert not selectors.awaiting_moderator().exists()


class TestThread:
    def test_hidden_comment_leaves_the_thread(self, client, story):
        comment = CommentFactory(
            story=story, body="Buy cheap watches", body_html="Buy cheap watches"
        )
        for _ in range(3):
            report(comment)
        html = client.get(story.get_absolute_url()).content.decode()
        assert "Buy cheap watches" not in html
        assert f'id="comment-{comment.pk}"' not in html
        assert 'data-testid="comment-count">0<' in html

    def test_hidden_comment_with_replies_keeps_its_place(self, client, story):
        parent = CommentFactory(story=story, body="Parent words", body_html="Parent words")
        CommentFactory(parent=parent, body="Reply words", body_html="Reply words")
        for _ in range(3):
            report(parent)
        html = client.get(story.get_absolute_url()).content.decode()
        assert "Parent words" not in html and "Reply words" in html
        assert "Comment hidden after members" in html

    def test_report_link_for_others_comments_only(self, client, story, member):
        mine = CommentFactory(story=story, author=member)
        theirs = CommentFactory(story=story)
        client.force_login(member)
        html = client.get(story.get_absolute_url()).content.decode()
        assert reverse("comments:report", args=[theirs.pk]) in html
        assert reverse("comments:report", args=[mine.pk]) not in html

    def test_reporting_does_not_add_thread_queries(
        self, client, story, member, django_assert_max_num_queries
    ):
        client.force_login(member)
        for _ in range(3):
            report(CommentFactory(story=story))
        client.get(story.get_absolute_url())
        with django_assert_max_num_queries(25) as small:
            client.get(story.get_absolute_url())
        for _ in range(10):
            report(CommentFactory(story=story))
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(story.get_absolute_url())


class TestReportPage:
    def url(self, comment):
        return reverse("comments:report", args=[comment.pk])

    def test_readers_are_sent_to_log_in(self, client, story):
        response = client.get(self.url(CommentFactory(story=story)))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_get_shows_a_form_and_changes_nothing(self, client, story, member):
        comment = CommentFactory(story=story)
        client.force_login(member)
        html = client.get(self.url(comment)).content.decode()
        assert 'data-testid="report-form"' in html
        for label in ("Spam", "Abusive or hateful", "Off topic"):
            assert f">{label}</label>" in html
        assert '<label for="id_note">' in html
        assert not CommentReport.objects.exists()

    def test_post_reports_and_returns_to_the_comment(self, client, story, member):
        comment = CommentFactory(story=story)
        client.force_login(member)
        response = client.post(self.url(comment), {"reason": "abuse", "note": "insults"})
        assert response.status_code == 302
        assert response["Location"].endswith(f"#comment-{comment.pk}")
        made = CommentReport.objects.get()
        assert (made.member, made.reason, made.note) == (member, "abuse", "insults")

    def test_the_third_report_returns_to_the_comments(self, client, story, member):
        comment = CommentFactory(story=story)
        report(comment)
        report(comment)
        client.force_login(member)
        response = client.post(self.url(comment), {"reason": "spam"})
        assert response["Location"].endswith("#comments")
        comment.refresh_from_db()
        assert comment.is_hidden

    def test_no_reason_is_a_form_error(self, client, story, member):
        comment = CommentFactory(story=story)
        client.force_login(member)
        response = client.post(self.url(comment), {"note": "kept note"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Choose a reason for your report." in html and 'value="kept note"' in html
        assert not CommentReport.objects.exists()

    def test_a_repeat_says_so(self, client, story, member):
        comment = CommentFactory(story=story)
        report(comment, member)
        client.force_login(member)
        for response in (
            client.get(self.url(comment)),
            client.post(self.url(comment), {"reason": "spam"}),
        ):
            assert response.status_code == 200
            assert "You have already reported this comment" in response.content.decode()
        assert CommentReport.objects.count() == 1

    def test_own_comment(self, client, story, member):
        comment = CommentFactory(story=story, author=member)
        client.force_login(member)
        client.post(self.url(comment), {"reason": "spam"})
        html = client.get(self.url(comment)).content.decode()
        assert "This is your own comment" in html
        assert not CommentReport.objects.exists()

    def test_removed_comment(self, client, story, member):
        comment = CommentFactory(story=story, status=Comment.Status.REMOVED, removal_reason="spam")
        client.force_login(member)
        response = client.post(self.url(comment), {"reason": "spam"}, follow=True)
        assert "no longer on the site" in response.content.decode()
        assert not CommentReport.objects.exists()

    def test_unknown_comment_is_404(self, client, member):
        client.force_login(member)
        assert client.get(reverse("comments:report", args=[999999])).status_code == 404


class TestSuspendedMembers:
    """A suspended member reads, but cannot comment, reply, edit, report or track."""

    @pytest.fixture
    def suspended(self, client):
        member = UserFactory()
        user_suspend(
            user=member,
            by=None,
            reason="Repeated spam",
            until=timezone.now() + datetime.timedelta(days=2),
        )
        client.force_login(member)  # logging in again after the suspension: reading only
        return member

    def test_story_page_reads_but_offers_no_form(self, client, story, suspended):
        comment = CommentFactory(story=story, body="Readable", body_html="Readable")
        html = client.get(story.get_absolute_url()).content.decode()
        assert "Readable" in html
        assert 'id="comment-form"' not in html
        assert 'data-testid="suspended-note"' in html
        assert reverse("comments:report", args=[comment.pk]) not in html
        assert reverse("comments:reply", args=[comment.pk]) not in html

    @pytest.mark.parametrize("kind", ["add", "reply", "edit", "report", "track"])
    def test_actions_are_refused_with_403(self, client, story, suspended, kind):
        other = CommentFactory(story=story)
        own = CommentFactory(story=story, author=suspended)
        url, data = {
            "add": (reverse("comments:add", args=[story.pk]), {"body": "Let me in"}),
            "reply": (reverse("comments:reply", args=[other.pk]), {"body": "Let me in"}),
            "edit": (reverse("comments:edit", args=[own.pk]), {"body": "Changed"}),
            "report": (reverse("comments:report", args=[other.pk]), {"reason": "spam"}),
            "track": (reverse("comments:track", args=[story.pk]), {"action": "track"}),
        }[kind]
        if kind != "track":
            assert client.get(url).status_code == 403
        response = client.post(url, data)
        assert response.status_code == 403
        assert "Repeated spam" in response.content.decode()
        assert Comment.objects.count() == 2
        assert not CommentReport.objects.exists()
        assert not suspended.comment_trackings.exists()
        own.refresh_from_db()
        assert own.body != "Changed"

    def test_services_refuse_too(self, story, suspended):
        with pytest.raises(services.CommentError, match="suspended"):
            services.comment_create(author=suspended, story=story, body="Through the back door")
        own = CommentFactory(story=story, author=suspended)
        with pytest.raises(services.CommentError, match="suspended"):
            services.comment_edit(comment=own, editor=suspended, body="Changed")

    def test_after_the_suspension_ends(self, client, story):
        member = UserFactory()
        user_suspend(
            user=member, by=None, reason="cool off", until=timezone.now() - datetime.timedelta(1)
        )
        client.force_login(member)
        response = client.post(reverse("comments:add", args=[story.pk]), {"body": "I'm back"})
        assert response.status_code == 302
        assert Comment.objects.filter(author=member).count() == 1


@pytest.mark.django_db(transaction=True)
class TestConcurrentReports:
    def run_together(self, fns):
        outcomes = race_calls(fns, refused=services.CommentError)
        results = [value for kind, value in outcomes if kind == "ok"]
        errors = [value for kind, value in outcomes if kind != "ok"]
        return results, errors

    def test_many_members_at_once_hide_once_and_count_once(self):
        comment = CommentFactory()
        CommentFactory(story=comment.story)
        reporters = UserFactory.create_batch(8)
        results, errors = self.run_together([lambda m=m: report(comment, m) for m in reporters])
        assert len(results) == 8 and not errors
        comment.refresh_from_db()
        assert comment.report_count == 8 and comment.is_hidden
        assert stored_count(comment.story) == visible_count(comment.story) == 1

    def test_one_member_twice_at_once_counts_once(self):
        comment = CommentFactory()
        member = UserFactory()
        results, errors = self.run_together([lambda: report(comment, member)] * 4)
        assert len(results) == 1
        assert errors == ["You have already reported this comment. Thank you."] * 3
        comment.refresh_from_db()
        assert comment.report_count == 1 == CommentReport.objects.count()
