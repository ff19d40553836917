import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care2.users.services import user_suspend
from petitions.models import Petition, Signature
from petitions.services import PetitionError, petition_start, signature_sign_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_new_members_cannot_start_petitions_in_their_first_day(settings, category):
    settings.NEW_MEMBER_HOURS = 24
    newbie = UserFactory()
    with pytest.raises(PetitionError, match="New members can start petitions 24 hours"):
        petition_start(
            creator=newbie,
            title="Save the old oak tree",
            target="The council",
            why="It is 300 years old.",
            category=category,
        )
    veteran = UserFactory(date_joined=timezone.now() - datetime.timedelta(days=2))
    petition_start(
        creator=veteran,
        title="Save the old oak tree",
        target="The council",
        why="It is 300 years old.",
        category=category,
    )
    assert Petition.objects.count() == 1


def test_new_member_sees_the_reason_on_the_form(client, settings, category):
    settings.NEW_MEMBER_HOURS = 24
    client.force_login(UserFactory())
    response = client.post(
        reverse("petitions:start"),
        {
            "title": "Save the old oak tree",
            "target": "The council",
            "why": "Old.",
            "category": category.pk,
            "goal": 1000,
        },
    )
    assert "New members can start petitions" in response.content.decode()
    assert not Petition.objects.exists()


def test_suspended_members_cannot_start_or_sign(client, petition):
    member = UserFactory(date_joined=timezone.now() - datetime.timedelta(days=5))
    user_suspend(user=member, by=None, reason="spam")
    with pytest.raises(PetitionError, match="suspended"):
        signature_sign_member(petition=petition, member=member)
    client.force_login(member)
    assert client.get(reverse("petitions:start")).status_code == 403
    assert not Signature.objects.filter(member=member).exists()
