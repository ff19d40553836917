"""Who may open a story or a petition is one rule in the models: the querysets'
``visible_to(user)``, and ``is_visible_to(user)`` on a loaded row agreeing with it."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import timezone

from petitions.models import Petition
from stories.models import Story
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def with_perm(codename):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def fresh(user):
    return user if isinstance(user, AnonymousUser) else type(user).objects.get(pk=user.pk)


def test_stories_visible_to_each_viewer():
    stories = {status: StoryFactory(status=status) for status in Story.Status.values}
    viewers = {
        "reader": AnonymousUser(),
        "member": UserFactory(),
        "moderator": with_perm("change_story"),
    }
    for name, viewer in viewers.items():
        shown = set(Story.objects.visible_to(fresh(viewer)).values_list("status", flat=True))
        expected = set(Story.Status.values) if name == "moderator" else {"new", "published"}
        assert shown == expected, name
        for status, story in stories.items():
            assert story.is_visible_to(fresh(viewer)) is (status in expected), (name, status)


def test_petitions_visible_to_each_viewer():
    creator = UserFactory()
    shown = PetitionFactory(creator=creator)
    hidden = PetitionFactory(creator=creator, hidden_at=timezone.now())
    viewers = {
        "reader": (AnonymousUser(), {shown}),
        "member": (UserFactory(), {shown}),
        "creator": (creator, {shown, hidden}),
        "moderator": (with_perm("change_petition"), {shown, hidden}),
    }
    for name, (viewer, expected) in viewers.items():
        assert set(Petition.objects.visible_to(fresh(viewer))) == expected, name
        for petition in (shown, hidden):
            assert petition.is_visible_to(fresh(viewer)) is (petition in expected), name


def test_a_visible_story_asks_no_permission(django_assert_num_queries):
    story, member = StoryFactory(), fresh(UserFactory())
    with django_assert_num_queries(0):
        assert story.is_visible_to(member)


def test_the_story_page_follows_the_rule(client):
    hidden = StoryFactory(status=Story.Status.HIDDEN)
    assert client.get(hidden.get_absolute_url()).status_code == 404
    client.force_login(with_perm("change_story"))
    assert client.get(hidden.get_absolute_url()).status_code == 200


def test_a_hidden_petition_page_follows_the_rule(client):
    creator = UserFactory()
    hidden = PetitionFactory(creator=creator, hidden_at=timezone.now())
    assert client.get(hidden.get_absolute_url()).status_code == 404
    client.force_login(creator)
    assert client.get(hidden.get_absolute_url()).status_code == 200
