"""``member_can_act``: a verified member's action asks no query for their e-mail (the
cached facts answer); an unverified one still gets allauth's page; a member who
verifies meanwhile may act at once."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _vet(client, story):
    return client.post(reverse("stories:vet", args=[story.pk]))


def test_a_verified_member_acts_without_asking_for_their_email(
    client, member, django_assert_num_queries
):
    story = StoryFactory(published=True)
    client.force_login(member)
    client.get("/")  # the member's record (row and facts) is now cached
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert _vet(client, story).status_code == 302
    assert not [q for q in captured.captured_queries if "account_emailaddress" in q["sql"]]


def test_an_unverified_member_is_asked_to_verify_and_may_act_once_verified(client):
    sam = UserFactory(verified=False, email="sam@example.com")
    EmailAddress.objects.create(user=sam, email=sam.email, verified=False, primary=True)
    story = StoryFactory(published=True)
    client.force_login(sam)
    client.get("/")
    response = _vet(client, story)
    assert response.status_code == 200 and "Verify Your Email Address" in response.content.decode()
    EmailAddress.objects.filter(user=sam).update(verified=True)  # no signal: as a raw fix
    address = EmailAddress.objects.get(user=sam)
    address.save()  # a saved address drops the cached facts
    assert _vet(client, story).status_code == 302
