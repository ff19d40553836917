"""Moderators decide on reported comments in the admin: the queue's filters, the
"Decide" page (remove with a reason, restore, dismiss) and the bulk actions, audited."""

import pytest
from django.urls import reverse

from care2.users.models import AuditEntry
from comments import services
from comments.models import Comment
from stories.models import Story
from tests.comments.factories import CommentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:comments_comment_changelist"


@pytest.fixture(autouse=True)
def _hide_at_three(settings):
    settings.COMMENT_HIDE_AT_REPORTS = 3


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def reported(story, times, body):
    comment = CommentFactory(story=story, body=body, body_html=body)
    for _ in range(times):
        services.comment_report(member=UserFactory(), comment=comment, reason="spam")
    comment.refresh_from_db()
    return comment


def listed(client, query):
    html = client.get(reverse(CHANGELIST), query).content.decode()
    return {
        word for word in ("Quiet-one", "Flagged-once", "Hidden-thrice", "Decided-x") if word in html
    }


def test_queue_filters(as_moderator, moderator, story):
    CommentFactory(story=story, body="Quiet-one")
    reported(story, 1, "Flagged-once")
    reported(story, 3, "Hidden-thrice")
    decided = reported(story, 1, "Decided-x")
    services.comment_reports_dismiss(comment_ids=[decided.pk], moderator=moderator)
    assert listed(as_moderator, {"reports": "waiting"}) == {"Flagged-once", "Hidden-thrice"}
    assert listed(as_moderator, {"reports": "hidden"}) == {"Hidden-thrice"}
    assert listed(as_moderator, {"reports": "any"}) == {
        "Flagged-once",
        "Hidden-thrice",
        "Decided-x",
    }
    assert listed(as_moderator, {"status__exact": "hidden"}) == {"Hidden-thrice"}


def test_change_page_shows_reports_and_the_decide_link(as_moderator, story):
    comment = reported(story, 3, "Hidden-thrice")
    html = as_moderator.get(
        reverse("admin:comments_comment_change", args=[comment.pk])
    ).content.decode()
    assert reverse("admin:comments_comment_moderate", args=[comment.pk]) in html
    assert "Spam" in html and "Hidden after reports" in html


class TestDecidePage:
    def url(self, comment):
        return reverse("admin:comments_comment_moderate", args=[comment.pk])

    def test_hidden_comment_offers_remove_and_restore(self, as_moderator, story):
        comment = reported(story, 3, "Hidden-thrice")
        html = as_moderator.get(self.url(comment)).content.decode()
        assert 'value="remove"' in html and 'value="restore"' in html
        assert 'value="dismiss"' not in html
        assert "Hidden-thrice" in html

    def test_remove_with_a_reason(self, as_moderator, moderator, story):
        comment = reported(story, 3, "Hidden-thrice")
        response = as_moderator.post(
            self.url(comment), {"decision": "remove", "reason": "spam", "note": "watch ads"}
        )
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.status == Comment.Status.REMOVED and comment.removal_reason == "spam"
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.reason) == (
            moderator,
            "remove comment",
            "Spam: watch ads",
        )
        assert Story.objects.get(pk=story.pk).comment_count == 0

    def test_remove_needs_a_reason(self, as_moderator, story):
        comment = reported(story, 3, "Hidden-thrice")
        response = as_moderator.post(self.url(comment), {"decision": "remove", "note": "kept"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Choose a reason for removing the comment." in html and 'value="kept"' in html
        comment.refresh_from_db()
        assert comment.is_hidden and not AuditEntry.objects.exists()

    def test_restore(self, as_moderator, story):
        comment = reported(story, 3, "Hidden-thrice")
        as_moderator.post(self.url(comment), {"decision": "restore", "note": "satire"})
        comment.refresh_from_db()
        assert comment.is_visible and comment.reviewed_at is not None
        assert AuditEntry.objects.get().reason == "satire"
        assert Story.objects.get(pk=story.pk).comment_count == 1

    def test_dismiss_on_a_visible_reported_comment(self, as_moderator, story):
        comment = reported(story, 1, "Flagged-once")
        as_moderator.post(self.url(comment), {"decision": "dismiss"})
        comment.refresh_from_db()
        assert comment.is_visible and not comment.awaits_moderator
        assert AuditEntry.objects.get().action == "dismiss comment reports"

    def test_restore_is_not_offered_for_a_visible_comment(self, as_moderator, story):
        comment = reported(story, 1, "Flagged-once")
        response = as_moderator.post(self.url(comment), {"decision": "restore"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not AuditEntry.objects.exists()

    def test_members_and_plain_staff_cannot_decide(self, client, story):
        comment = reported(story, 3, "Hidden-thrice")
        client.force_login(UserFactory())
        response = client.post(self.url(comment), {"decision": "restore"})
        assert response.status_code == 302 and "/login/" in response["Location"]
        client.force_login(UserFactory(is_staff=True))
        assert client.post(self.url(comment), {"decision": "restore"}).status_code == 403
        comment.refresh_from_db()
        assert comment.is_hidden


def test_bulk_restore_and_dismiss(as_moderator, moderator, story):
    hidden = reported(story, 3, "Hidden-thrice")
    flagged = reported(story, 1, "Flagged-once")
    for action in ("restore", "dismiss_reports"):
        response = as_moderator.post(
            reverse(CHANGELIST),
            {"action": action, "_selected_action": [hidden.pk, flagged.pk]},
        )
        assert response.status_code == 302
    hidden.refresh_from_db()
    flagged.refresh_from_db()
    assert hidden.is_visible and flagged.is_visible
    assert not hidden.awaits_moderator and not flagged.awaits_moderator
    assert sorted(AuditEntry.objects.values_list("action", "target_id")) == sorted(
        [("restore comment", str(hidden.pk)), ("dismiss comment reports", str(flagged.pk))]
    )
    assert Story.objects.get(pk=story.pk).comment_count == 2


def test_bulk_remove_is_audited(as_moderator, moderator, story):
    comments = [reported(story, 3, "Hidden-thrice"), reported(story, 1, "Flagged-once")]
    as_moderator.post(
        reverse(CHANGELIST),
        {"action": "remove_as_abuse", "_selected_action": [c.pk for c in comments]},
    )
    entries = AuditEntry.objects.filter(action="remove comment", actor=moderator)
    assert sorted(entries.values_list("target_id", flat=True)) == sorted(
        str(c.pk) for c in comments
    )
    assert Story.objects.get(pk=story.pk).comment_count == 0


def test_reports_are_read_only(as_moderator, story):
    comment = reported(story, 1, "Flagged-once")
    report = comment.reports.get()
    assert as_moderator.get(reverse("admin:comments_commentreport_changelist")).status_code == 200
    response = as_moderator.post(
        reverse("admin:comments_commentreport_change", args=[report.pk]), {"reason": "abuse"}
    )
    report.refresh_from_db()
    assert report.reason == "spam"
    assert as_moderator.get(reverse("admin:comments_commentreport_add")).status_code == 403
    # A report has no change permission for anyone: the admin refuses the POST outright.
    assert response.status_code == 403
