import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from stories.models import Story
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


def test_member_cannot_open_the_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:stories_story_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_moderator_lists_filters_and_searches_stories(client, moderator, story):
    client.force_login(moderator)
    url = reverse("admin:stories_story_changelist")
    assert client.get(url, {"status__exact": "new"}).status_code == 200
    response = client.get(url, {"q": story.title[:10]})
    assert story.title in response.content.decode()
    assert client.get(reverse("admin:stories_story_change", args=[story.pk])).status_code == 200


@pytest.mark.parametrize(
    "action,status",
    [
        ("publish", Story.Status.PUBLISHED),
        ("hide", Story.Status.HIDDEN),
        ("reject", Story.Status.REJECTED),
        ("reject_as_spam", Story.Status.REJECTED),
    ],
)
def test_bulk_actions_go_through_services_and_are_logged(client, moderator, action, status):
    stories = StoryFactory.create_batch(2)
    client.force_login(moderator)
    response = client.post(
        reverse("admin:stories_story_changelist"),
        {"action": action, "_selected_action": [s.pk for s in stories]},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Story.objects.values_list("status", flat=True)) == {status}
    assert all(s.reviewed_at for s in Story.objects.all())
    assert LogEntry.objects.filter(user=moderator).count() == 2


def test_moderators_group_has_story_permissions(moderator):
    assert moderator.has_perm("stories.change_story")
    assert not moderator.has_perm("stories.delete_story")


def test_status_changes_only_through_the_actions(client, moderator, story):
    """The edit page shows the status but cannot set it: publishing without the service
    would skip the dates, credits and audit."""
    client.force_login(moderator)
    response = client.get(reverse("admin:stories_story_change", args=[story.pk]))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "Newly submitted" in response.content.decode()  # shown, read-only


def test_the_moderators_reason_goes_to_the_audit_trail(client, moderator):
    from care2.users.models import AuditEntry

    story = StoryFactory()
    client.force_login(moderator)
    client.post(
        reverse("admin:stories_story_changelist"),
        {"action": "hide", "_selected_action": [story.pk], "reason": "Copied article"},
    )
    entry = AuditEntry.objects.get(target_type="stories.story", target_id=str(story.pk))
    assert (entry.actor, entry.action, entry.reason) == (moderator, "hide story", "Copied article")
