"""Two requests racing must never make two rows or a wrong counter."""

import pytest

from stories import services
from stories.models import Report, Story, Vet
from tests import races
from tests.factories import CategoryFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, arguments):
    return races.race(fn, arguments, refused=services.StoryError)


def test_same_member_vetting_twice_at_once_makes_one_vet():
    story = StoryFactory()
    member = UserFactory()
    outcomes = race(
        lambda: services.story_vet(member=member, story=Story.objects.get(pk=story.pk)), [()] * 4
    )
    assert sorted(o[0] for o in outcomes) == ["ok", "refused", "refused", "refused"]
    assert Vet.objects.filter(story=story).count() == 1
    story.refresh_from_db()
    assert story.vet_count == 1


def test_many_members_vetting_at_once_count_exactly_and_promote_once(settings):
    settings.STORY_PROMOTE_AT_VETS = 5
    story = StoryFactory()
    members = UserFactory.create_batch(8)
    outcomes = race(
        lambda m: services.story_vet(member=m, story=Story.objects.get(pk=story.pk)),
        [(m,) for m in members],
    )
    assert [o[0] for o in outcomes] == ["ok"] * 8
    story.refresh_from_db()
    assert story.vet_count == 8 == Vet.objects.filter(story=story).count()
    assert story.status == Story.Status.PUBLISHED


def test_same_member_reporting_twice_at_once_makes_one_report():
    story = StoryFactory()
    member = UserFactory()
    race(
        lambda: services.story_report(
            member=member, story=Story.objects.get(pk=story.pk), reason="spam"
        ),
        [()] * 3,
    )
    assert Report.objects.count() == 1
    story.refresh_from_db()
    assert story.report_count == 1


def test_same_link_submitted_at_once_makes_one_story():
    category = CategoryFactory()
    members = UserFactory.create_batch(3)
    outcomes = race(
        lambda m: services.story_submit(
            submitter=m,
            title="Same link",
            url="https://news.example.org/same",
            summary="x",
            category=category,
            tags=["a"],
        ),
        [(m,) for m in members],
    )
    assert sorted(o[0] for o in outcomes) == ["ok", "refused", "refused"]
    assert Story.objects.count() == 1


def test_racing_vet_requests_through_http_make_one_vet_and_no_error():
    """The same, through the whole request: two clicks on "Note it" at once."""
    from django.test import Client

    story = StoryFactory()
    member = UserFactory()
    vetters = [UserFactory() for _ in range(3)]

    def post(user):
        client = Client()
        client.force_login(user)
        return client.post(f"/stories/{story.pk}/vet/").status_code

    outcomes = race(post, [(member,), (member,), *[(v,) for v in vetters]])
    assert sorted(status for _, status in outcomes) == [302] * 5
    assert Vet.objects.filter(story=story, member=member).count() == 1
    assert Story.objects.get(pk=story.pk).vet_count == Vet.objects.filter(story=story).count() == 4
