"""One audit call for every moderator decision: the site's audit entry and the admin's
history entry (Django's ``LogEntry``) are written together, by the service, whichever
way the decision is taken (admin action, page, task, script)."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from care2.users.models import AuditEntry
from care2.users.services import audit_record, user_suspend, user_unsuspend
from comments import services as comment_services
from petitions import services as petition_services
from stories import services as story_services
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def history(target):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
    )


def assert_audited(target, *, by, action, reason):
    entry = AuditEntry.objects.get(action=action)
    assert (entry.actor, entry.target_id, entry.reason) == (by, str(target.pk), reason)
    log = history(target).get()
    assert (log.user, log.action_flag) == (by, CHANGE)
    assert reason in log.change_message


def test_a_story_decision(moderator):
    story = StoryFactory()
    story_services.stories_hide(story_ids=[story.pk], by=moderator, reason="spam ring")
    assert_audited(story, by=moderator, action="hide story", reason="spam ring")


def test_a_comment_decision(moderator, published_story):
    comment = CommentFactory(story=published_story)
    comment_services.comment_report(member=UserFactory(), comment=comment, reason="spam")
    comment_services.comment_reports_dismiss(
        comment_ids=[comment.pk], moderator=moderator, reason="fair criticism"
    )
    assert_audited(comment, by=moderator, action="dismiss comment reports", reason="fair criticism")


def test_a_comment_removal_is_logged_once(moderator, published_story):
    comment = CommentFactory(story=published_story)
    comment_services.comment_remove(comment=comment, moderator=moderator, reason="spam")
    assert AuditEntry.objects.count() == 1
    assert history(comment).get().change_message == "Removed by moderator: Spam"


def test_a_petition_decision(moderator):
    petition = PetitionFactory()
    petition_services.petitions_hide(petition_ids=[petition.pk], by=moderator, reason="Dup")
    assert_audited(petition, by=moderator, action="hide petition", reason="Dup")


def test_a_member_suspension(moderator):
    member = UserFactory()
    user_suspend(user=member, by=moderator, reason="abuse")
    assert_audited(member, by=moderator, action="suspend member", reason="abuse")
    user_unsuspend(user=member, by=moderator, reason="appeal")
    assert history(member).count() == 2


def test_no_admin_history_without_a_person(published_story):
    """A task or the member themself (actor None) is audited, but the admin's history
    needs the person who decided."""
    audit_record(actor=None, action="hide story", target=published_story, reason="x")
    assert AuditEntry.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_an_admin_action_writes_one_history_entry_per_story(client, moderator):
    stories = StoryFactory.create_batch(2)
    client.force_login(moderator)
    client.post(
        reverse("admin:stories_story_changelist"),
        {"action": "hide", "_selected_action": [s.pk for s in stories], "reason": "dupes"},
    )
    for story in stories:
        assert history(story).get().change_message == "Hide story: dupes"
    assert AuditEntry.objects.filter(action="hide story").count() == 2
