"""A double click, or Back and resubmit, never posts a comment twice."""

import uuid

import pytest
from django.urls import reverse

from comments.models import Comment
from comments.services import comment_create
from stories.models import Story
from tests.factories import StoryFactory, UserFactory
from tests.races import race_calls


@pytest.mark.django_db
def test_the_same_form_posted_twice_makes_one_comment(client, member, published_story):
    client.force_login(member)
    page = client.get(published_story.get_absolute_url()).content.decode()
    assert 'name="submission_key"' in page
    key = str(uuid.uuid4())
    url = reverse("comments:add", args=[published_story.pk])
    first = client.post(url, {"body": "Only once, please", "submission_key": key})
    second = client.post(url, {"body": "Only once, please", "submission_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Comment.objects.count() == 1
    published_story.refresh_from_db()
    assert published_story.comment_count == 1


@pytest.mark.django_db
def test_two_forms_make_two_comments(member, published_story):
    comment_create(author=member, story=published_story, body="One", submission_key=uuid.uuid4())
    comment_create(author=member, story=published_story, body="One", submission_key=uuid.uuid4())
    assert Comment.objects.count() == 2


@pytest.mark.django_db
def test_each_rendered_form_gets_a_new_key(client, member, published_story):
    client.force_login(member)
    keys = set()
    for _ in range(2):
        html = client.get(published_story.get_absolute_url()).content.decode()
        keys.add(html.split('name="submission_key" value="', 1)[1].split('"', 1)[0])
    assert len(keys) == 2


@pytest.mark.django_db(transaction=True)
def test_racing_double_submit_makes_one_comment():
    story = StoryFactory(published=True)
    author = UserFactory()
    key = uuid.uuid4()

    def post():
        return comment_create(
            author=author, story=Story.objects.get(pk=story.pk), body="Racing", submission_key=key
        ).pk

    outcomes = race_calls([post] * 3)
    results = [value for kind, value in outcomes if kind == "ok"]
    assert len(set(results)) == 1 and len(results) == 3
    assert Comment.objects.count() == 1
    story.refresh_from_db()
    assert story.comment_count == 1
