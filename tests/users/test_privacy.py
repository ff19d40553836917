import json

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from care2.users.models import Message, User
from comments.models import Comment
from comments.services import comment_create, tracking_start
from credits.models import CreditEntry
from stories.services import story_vet
from tests.factories import PASSWORD, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_member(published_story):
    member = UserFactory(
        first_name="Rosa", last_name="Marsh", email="rosa@example.com", bio="Beekeeper."
    )
    story_vet(member=member, story=published_story)
    parent = comment_create(
        author=member, story=published_story, body="First thoughts, see https://example.org"
    )
    comment_create(
        author=UserFactory(), story=published_story, body="A reply to Rosa", parent=parent
    )
    tracking_start(member=member, story=published_story)
    Message.objects.create(recipient=member, subject="Hello Rosa", key="k1")
    return member


def test_download_my_data(client, active_member, published_story):
    client.force_login(active_member)
    response = client.get(reverse("settings:data_download"))
    assert response["Content-Disposition"] == 'attachment; filename="my-care2-data.json"'
    data = json.loads(response.content)
    assert data["profile"]["email"] == "rosa@example.com" and data["profile"]["bio"] == "Beekeeper."
    assert data["vets"] == [
        {"story": published_story.title, "created_at": data["vets"][0]["created_at"]}
    ]
    assert [c["body"] for c in data["comments"]] == ["First thoughts, see https://example.org"]
    assert data["tracked_stories"] == [published_story.title]
    assert [m["subject"] for m in data["messages"]] == ["Hello Rosa"]
    assert {e["action"] for e in data["credits"]} == {"vet_other", "comment"}
    assert "A reply to Rosa" not in response.content.decode()  # only the member's own data


def test_download_needs_log_in(client):
    assert client.get(reverse("settings:data_download")).status_code == 302


def test_delete_account_keeps_threads_counts_and_ledger(client, active_member, published_story):
    entries_before = CreditEntry.objects.filter(member=active_member).count()
    client.force_login(active_member)
    assert "Delete my account" in client.get(reverse("settings:account_delete")).content.decode()
    response = client.post(reverse("settings:account_delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session

    tombstone = User.objects.get(pk=active_member.pk)
    assert (
        tombstone.email != "rosa@example.com"
        and tombstone.first_name == "deleted member"
        and not tombstone.bio
    )
    assert not tombstone.is_active and not tombstone.has_usable_password()
    assert tombstone.public_name == "deleted member"
    assert not EmailAddress.objects.filter(email="rosa@example.com").exists()
    assert not Message.objects.filter(recipient=tombstone).exists()
    assert not tombstone.comment_trackings.exists()
    # Threads keep their shape; counts and the ledger's sums are unchanged.
    assert Comment.objects.filter(story=published_story).count() == 2
    published_story.refresh_from_db()
    assert published_story.vet_count == 1 and published_story.comment_count == 2
    assert CreditEntry.objects.filter(member=tombstone).count() == entries_before
    html = client.get(published_story.get_absolute_url()).content.decode()
    assert "deleted member" in html and "First thoughts" in html and "Rosa M" not in html
    # The address is free to join again, and the old password no longer works.
    assert not client.login(email="rosa@example.com", password=PASSWORD)
    assert client.get(reverse("users:profile", args=[tombstone.pk])).status_code == 404


def test_delete_needs_the_password(client, active_member):
    client.force_login(active_member)
    response = client.post(reverse("settings:account_delete"), {"confirmation": "wrong"})
    assert "That is not your password" in response.content.decode()
    assert User.objects.get(pk=active_member.pk).is_active


def test_social_only_members_confirm_with_their_email(client):
    member = UserFactory(email="fb@example.com")
    member.set_unusable_password()
    member.save()
    client.force_login(member)
    response = client.post(
        reverse("settings:account_delete"), {"confirmation": "other@example.com"}
    )
    assert "That is not your e-mail address" in response.content.decode()
    client.post(reverse("settings:account_delete"), {"confirmation": "FB@example.com"})
    assert User.objects.get(pk=member.pk).deleted_at is not None


def test_submitted_stories_stay_under_deleted_member(client, member):
    story = StoryFactory(submitter=member, published=True)
    client.force_login(member)
    client.post(reverse("settings:account_delete"), {"confirmation": PASSWORD})
    html = client.get(story.get_absolute_url()).content.decode()
    assert story.title in html and "deleted member" in html


def test_signatures_stay_counted_but_anonymous(client, member, category, settings):
    from petitions.models import Signature
    from petitions.services import petition_count, signature_sign_member
    from tests.petitions.factories import PetitionFactory

    petition = PetitionFactory(category=category)
    signature_sign_member(petition=petition, member=member, comment="Count me in")
    client.force_login(member)
    data = client.get(reverse("settings:data_download")).json()
    assert [s["petition"] for s in data["signatures"]] == [petition.title]
    client.post(reverse("settings:account_delete"), {"confirmation": PASSWORD})
    signature = Signature.objects.get()
    assert signature.member is None and signature.email is None and not signature.first_name
    assert signature.show_name is False and signature.is_confirmed
    assert petition_count(petition_id=petition.pk) == 1


def test_profile_lists_petitions_started(client, member, category):
    from tests.petitions.factories import PetitionFactory

    petition = PetitionFactory(creator=member, category=category)
    html = client.get(reverse("users:profile", args=[member.pk])).content.decode()
    assert "Petitions started" in html and petition.title in html
