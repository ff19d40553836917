"""A suspended member reads, is told so, and sees no button they cannot use."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from care2.users.services import user_suspend
from credits.models import Cause
from tests.factories import PASSWORD, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def test_open_ended_suspension_says_until_a_moderator_lifts_it(client, moderator, story):
    target = UserFactory()
    user_suspend(user=target, by=moderator, reason="spam")
    sign_in(client, target)
    html = client.post(reverse("stories:submit"), {}).content.decode()
    assert "until a moderator lifts it" in html
    assert str(timezone.now().year + 100) not in html


def test_sign_in_while_suspended_says_read_only_and_until_when(client, moderator):
    target = UserFactory()
    until = timezone.now() + datetime.timedelta(days=3)
    user_suspend(user=target, by=moderator, reason="spam", until=until)
    response = sign_in(client, target)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("Successfully signed in" in t for t in texts), texts
    [text] = [t for t in texts if "read-only" in t]
    assert "You are signed in, read-only" in text
    assert f"{timezone.localtime(until):%B} {timezone.localtime(until).day}" in text


def test_sign_in_while_suspended_indefinitely(client, moderator):
    target = UserFactory()
    user_suspend(user=target, by=moderator, reason="spam")
    response = sign_in(client, target)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("read-only" in t and "until a moderator lifts it" in t for t in texts), texts


def test_a_suspended_member_sees_no_action_they_cannot_use(
    client, moderator, published_story, settings
):
    settings.NEW_MEMBER_HOURS = 0
    target = UserFactory()
    writer = UserFactory()
    from comments.services import comment_create

    comment_create(author=writer, story=published_story, body="Worth reading")
    petition = PetitionFactory(category=published_story.category)
    cause = Cause.objects.create(
        title="Plant a tree", slug="plant-a-tree", description="One tree.", cost=1
    )
    user_suspend(user=target, by=moderator, reason="spam")
    sign_in(client, target)
    story_html = client.get(published_story.get_absolute_url()).content.decode()
    assert "Note it</button>" not in story_html
    assert "Save for later" not in story_html
    assert "Track comments" not in story_html
    assert 'id="comment-form"' not in story_html
    assert "js-reply" not in story_html and "report-link" not in story_html
    assert reverse("stories:report", args=[published_story.pk]) not in story_html
    assert reverse("stories:submit") not in story_html
    assert reverse("petitions:start") not in story_html
    assert "Worth reading" in story_html  # still reads

    petition_html = client.get(petition.get_absolute_url()).content.decode()
    assert "Sign this petition</button>" not in petition_html
    assert reverse("petitions:start") not in petition_html
    assert 'data-testid="suspended-note"' in petition_html

    cause_html = client.get(reverse("credits:cause", args=[cause.slug])).content.decode()
    assert "Redeem 1 credit</button>" not in cause_html


def test_members_and_readers_still_see_the_actions(client, published_story):
    html = client.get(published_story.get_absolute_url()).content.decode()
    assert reverse("stories:submit") in html
    member = UserFactory()
    client.force_login(member)
    html = client.get(published_story.get_absolute_url()).content.decode()
    assert "Note it</button>" in html and "Track comments" in html
    assert reverse("petitions:start") in html


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1 member suspended."), (2, "2 members suspended.")]
)
def test_admin_suspend_message_counts_correctly(client, moderator, count, expected):
    targets = [UserFactory() for _ in range(count)]
    client.force_login(moderator)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "suspend",
            "_selected_action": [t.pk for t in targets],
            "reason": "spam",
            "until": "",
        },
        follow=True,
    )
    assert expected in [str(m) for m in response.context["messages"]]


def test_admin_lift_message_counts_correctly(client, moderator):
    target = UserFactory()
    user_suspend(user=target, by=moderator, reason="spam")
    client.force_login(moderator)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {"action": "lift_suspension", "_selected_action": [target.pk]},
        follow=True,
    )
    assert "1 suspension lifted." in [str(m) for m in response.context["messages"]]


def test_the_admin_says_until_lifted_not_a_far_off_year(client, moderator):
    target = UserFactory(first_name="Opal", last_name="Open")
    user_suspend(user=target, by=moderator, reason="spam")
    client.force_login(moderator)
    far_year = str(timezone.now().year + 100)
    listing = client.get(reverse("admin:users_user_changelist"), {"suspended": "yes"})
    change = client.get(reverse("admin:users_user_change", args=[target.pk]))
    for response in (listing, change):
        html = response.content.decode()
        assert response.status_code == 200 and "until lifted" in html
        assert far_year not in html
