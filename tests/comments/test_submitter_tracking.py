"""A story's submitter tracks its comments from the start, and the Track toggle and
checkbox say whether e-mail copies come too, with a link to the setting."""

import pytest
from django.db import transaction
from django.urls import reverse

from care2.users.models import Message
from comments import services
from comments.models import Tracking
from stories.services import story_submit
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db

SETTINGS_LINK = 'href="/settings/#id_email_on_tracked_comments"'


@pytest.fixture(autouse=True)
def _established(settings):
    settings.NEW_MEMBER_HOURS = 0


def submit(member, category, n=1):
    return story_submit(
        submitter=member,
        title=f"Rivers run clean again {n}",
        url=f"https://news.example.org/rivers-{n}",
        summary="Towns along the river stopped the spills.",
        category=category,
        tags=[],
    )


def test_a_submitted_story_is_tracked_by_its_submitter(member, category):
    story = submit(member, category)
    assert list(Tracking.objects.filter(story=story).values_list("member", flat=True)) == [
        member.pk
    ]


def test_in_the_same_transaction(member, category):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(member, category)
        raise RuntimeError("the request failed after submitting")
    assert not Tracking.objects.exists()


def test_the_submitter_hears_of_comments_and_can_stop(
    client, member, other_member, category, django_capture_on_commit_callbacks
):
    story = StoryFactory(submitter=member, category=category, published=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_create(author=other_member, story=story, body="Great news")
    assert Message.objects.get(recipient=member).key == f"comment:{first.pk}"

    client.force_login(member)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "You track comments on this story." in html
    client.post(reverse("comments:track", args=[story.pk]), {"action": "stop"})
    assert not Tracking.objects.filter(member=member, story=story).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(author=other_member, story=story, body="More news")
    assert Message.objects.filter(recipient=member).count() == 1


def test_own_comments_notify_nobody_else_not_the_submitter(
    member, category, django_capture_on_commit_callbacks
):
    story = StoryFactory(submitter=member, category=category, published=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(author=member, story=story, body="A note on my story")
    assert not Message.objects.exists()


class TestEmailNote:
    def toggle(self, html):
        return html.split('data-testid="track-toggle"', 1)[1].split("</form>", 1)[0]

    def test_off_by_default_and_said_at_the_toggle(self, client, member, story):
        client.force_login(member)
        html = self.toggle(client.get(story.get_absolute_url()).content.decode())
        assert "You'll get a personal message; e-mail copies are off" in html
        assert SETTINGS_LINK in html and "change in Settings" in html

    def test_on_and_said_at_the_toggle_when_tracking(self, client, member, story):
        member.email_on_tracked_comments = True
        member.save(update_fields=["email_on_tracked_comments"])
        Tracking.objects.create(member=member, story=story)
        client.force_login(member)
        html = self.toggle(client.get(story.get_absolute_url()).content.decode())
        assert "You track comments on this story." in html
        assert "a personal message and an e-mail copy" in html and SETTINGS_LINK in html

    def test_said_at_the_track_checkbox(self, client, member, story):
        client.force_login(member)
        comment = CommentFactory(story=story)
        html = client.get(reverse("comments:reply", args=[comment.pk])).content.decode()
        checkbox = html.split('name="track"', 1)[1].split("</div>", 1)[0]
        assert "e-mail copies are off" in checkbox and SETTINGS_LINK in checkbox

    def test_said_when_tracking_starts(self, client, member, story):
        client.force_login(member)
        response = client.post(
            reverse("comments:track", args=[story.pk]), {"action": "track"}, follow=True
        )
        assert "e-mail copies are off (turn them on in Settings)" in response.content.decode()

    def test_the_link_reaches_the_setting(self, client, member):
        client.force_login(member)
        html = client.get(reverse("settings:index")).content.decode()
        assert 'id="id_email_on_tracked_comments"' in html
