import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care2.users import services
from care2.users.models import AuditEntry
from stories.models import Story, Vet
from stories.services import StoryError, stories_hide, story_submit
from tests.factories import PASSWORD, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestSuspension:
    def test_suspended_member_is_signed_out_then_may_read_but_not_act(self, client, story):
        member = UserFactory(email="sus@example.com")
        client.login(email="sus@example.com", password=PASSWORD)
        services.user_suspend(
            user=member,
            by=None,
            reason="Spam links",
            until=timezone.now() + datetime.timedelta(days=3),
        )
        response = client.get("/", follow=True)
        assert "was suspended by a moderator" in response.content.decode()
        assert "_auth_user_id" not in client.session

        assert client.login(email="sus@example.com", password=PASSWORD)
        assert client.get(story.get_absolute_url()).status_code == 200  # reading is fine
        response = client.post(reverse("stories:vet", args=[story.pk]))
        assert response.status_code == 403
        assert "Spam links" in response.content.decode()
        assert Vet.objects.count() == 0
        assert client.get(reverse("stories:submit")).status_code == 403

    def test_suspension_ends_by_itself(self, client, story):
        member = UserFactory()
        services.user_suspend(
            user=member,
            by=None,
            reason="cool off",
            until=timezone.now() - datetime.timedelta(seconds=1),
        )
        client.force_login(member)
        assert client.post(reverse("stories:vet", args=[story.pk])).status_code == 302
        assert Vet.objects.count() == 1

    def test_suspension_needs_a_reason_and_is_audited(self, moderator):
        member = UserFactory()
        with pytest.raises(ValueError):
            services.user_suspend(user=member, by=moderator, reason="  ")
        services.user_suspend(user=member, by=moderator, reason="abuse")
        services.user_unsuspend(user=member, by=moderator, reason="appeal accepted")
        assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor", "reason")) == [
            ("suspend member", moderator.pk, "abuse"),
            ("lift suspension", moderator.pk, "appeal accepted"),
        ]


class TestNewMembers:
    def test_new_members_submit_at_most_three_stories_a_day(self, category, settings):
        settings.NEW_MEMBER_MAX_STORIES = 3
        newbie = UserFactory()
        for n in range(3):
            story_submit(
                submitter=newbie,
                title=f"Story {n}",
                url=f"https://e.example/{n}",
                summary="s",
                category=category,
                tags=["t"],
            )
        with pytest.raises(StoryError, match="New members can submit 3 stories"):
            story_submit(
                submitter=newbie,
                title="Fourth",
                url="https://e.example/4",
                summary="s",
                category=category,
                tags=["t"],
            )
        assert Story.objects.count() == 3

    def test_established_members_are_not_limited(self, category):
        old = UserFactory(date_joined=timezone.now() - datetime.timedelta(days=2))
        for n in range(5):
            story_submit(
                submitter=old,
                title=f"Story {n}",
                url=f"https://e.example/{n}",
                summary="s",
                category=category,
                tags=["t"],
            )
        assert Story.objects.count() == 5

    def test_limit_shows_on_the_form_with_input_kept(self, client, category, settings):
        settings.NEW_MEMBER_MAX_STORIES = 0
        client.force_login(UserFactory())
        response = client.post(
            reverse("stories:submit"),
            {
                "title": "Kept title",
                "url": "https://e.example/x",
                "summary": "s",
                "category": category.pk,
                "tags": "t",
            },
        )
        html = response.content.decode()
        assert "New members can submit" in html and 'value="Kept title"' in html


class TestAudit:
    def test_moderation_services_write_audit_entries(self, moderator):
        stories = StoryFactory.create_batch(2)
        stories_hide(story_ids=[s.pk for s in stories], by=moderator, reason="checking")
        entries = AuditEntry.objects.filter(action="hide story")
        assert entries.count() == 2
        assert {e.target_id for e in entries} == {str(s.pk) for s in stories}
        assert all(e.actor == moderator and e.reason == "checking" for e in entries)

    def test_audit_entries_are_never_changed(self, moderator):
        entry = services.audit_record(actor=moderator, action="x", target=moderator)
        entry.reason = "rewritten"
        with pytest.raises(ValueError):
            entry.save()


class TestSuspendInAdmin:
    def test_moderator_suspends_with_a_reason_from_the_admin(self, client, moderator):
        target = UserFactory()
        client.force_login(moderator)
        url = reverse("admin:users_user_changelist")
        page = client.post(url, {"action": "suspend", "_selected_action": [target.pk]})
        assert "Suspend members" in page.content.decode()
        client.post(
            url,
            {
                "action": "suspend",
                "_selected_action": [target.pk],
                "reason": "Spam links",
                "until": "",
            },
        )
        target.refresh_from_db()
        assert target.is_suspended and target.suspension_reason == "Spam links"
        assert AuditEntry.objects.filter(action="suspend member", actor=moderator).exists()
        client.post(url, {"action": "lift_suspension", "_selected_action": [target.pk]})
        target.refresh_from_db()
        assert not target.is_suspended

    def test_moderators_cannot_grant_rights(self, client, moderator):
        target = UserFactory()
        client.force_login(moderator)
        html = client.get(reverse("admin:users_user_change", args=[target.pk])).content.decode()
        assert 'name="is_superuser"' not in html and 'name="groups"' not in html
