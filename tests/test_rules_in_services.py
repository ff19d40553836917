"""Write services check the acting member themselves (suspended, unverified), so an
admin action, a task or a script cannot act for a member the site's views would refuse."""

import datetime

import pytest
from django.utils import timezone

from comments.services import CommentError, comment_create, comment_edit
from stories import services as stories
from stories.models import Story, Vet
from tests.factories import CategoryFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def suspended():
    member = UserFactory()
    member.suspended_until = timezone.now() + datetime.timedelta(days=3)
    member.save(update_fields=["suspended_until"])
    return member


def submit(member):
    return stories.story_submit(
        submitter=member,
        title="A garden opens",
        url="https://news.example.org/garden",
        summary="Neighbours grew food.",
        category=CategoryFactory(),
        tags=[],
    )


def test_story_submit_refuses_a_suspended_member():
    with pytest.raises(
        stories.StoryError, match="Your account is suspended: you can read, but not submit stories."
    ):
        submit(suspended())
    assert not Story.objects.exists()


def test_story_submit_refuses_an_unverified_member():
    with pytest.raises(
        stories.StoryError, match="Please verify your e-mail address before you submit stories."
    ):
        submit(UserFactory(verified=False))
    assert not Story.objects.exists()


def test_story_vet_refuses_a_suspended_member():
    story = StoryFactory()
    with pytest.raises(
        stories.StoryError, match="Your account is suspended: you can read, but not note stories."
    ):
        stories.story_vet(member=suspended(), story=story)
    assert not Vet.objects.exists()
    story.refresh_from_db()
    assert story.vet_count == 0


def test_story_vet_refuses_an_unverified_member():
    story = StoryFactory()
    with pytest.raises(
        stories.StoryError, match="Please verify your e-mail address before you note stories."
    ):
        stories.story_vet(member=UserFactory(verified=False), story=story)
    assert not Vet.objects.exists()


def test_a_verified_member_still_submits_and_notes():
    story = submit(UserFactory())
    vet = stories.story_vet(member=UserFactory(), story=story)
    assert vet.story == story
    story.refresh_from_db()
    assert story.vet_count == 1


def test_comment_edit_refuses_an_unverified_author():
    author = UserFactory()
    comment = comment_create(author=author, story=StoryFactory(published=True), body="First")
    author.emailaddress_set.update(verified=False)
    with pytest.raises(
        CommentError, match="Please verify your e-mail address before you edit a comment."
    ):
        comment_edit(comment=comment, editor=author, body="Changed")
    comment.refresh_from_db()
    assert comment.body == "First"
