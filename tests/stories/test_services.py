import datetime
from unittest import mock

import pytest
from django.utils import timezone

from credits.services import Action
from stories import services
from stories.models import Report, Story, Vet
from tests.factories import CategoryFactory, ReportFactory, StoryFactory, UserFactory, VetFactory

pytestmark = pytest.mark.django_db


def submit(member, category, **overrides):
    data = {
        "title": "Town opens a tool library",
        "url": "https://news.example.org/tool-library",
        "summary": "Borrow a drill like a book.",
        "category": category,
        "tags": ["tools", "Sharing"],
    }
    data.update(overrides)
    return services.story_submit(submitter=member, **data)


class TestUrlKey:
    @pytest.mark.parametrize(
        "a,b",
        [
            ("https://www.Example.org/a/", "http://example.org/a"),
            ("https://example.org/a#top", "https://example.org/a"),
            ("https://example.org/a?x=1", "https://EXAMPLE.org/a?x=1"),
        ],
    )
    def test_same_link_different_spelling(self, a, b):
        assert services.url_key(a) == services.url_key(b)

    def test_different_paths_and_queries_differ(self):
        assert services.url_key("https://example.org/a") != services.url_key(
            "https://example.org/b"
        )
        assert services.url_key("https://example.org/a?x=1") != services.url_key(
            "https://example.org/a?x=2"
        )


class TestSubmit:
    def test_creates_newly_submitted_story_with_tags(self, member, category):
        story = submit(member, category)
        assert story.status == Story.Status.NEW
        assert story.submitter == member
        assert story.slug == "town-opens-a-tool-library"
        assert sorted(t.name for t in story.tags.all()) == ["Sharing", "tools"]
        assert story.published_at is None

    def test_tags_that_differ_only_in_case_are_one_tag(self, member, category):
        first = submit(member, category, tags=["Climate"])
        second = submit(member, category, url="https://news.example.org/other", tags=["climate"])
        assert list(first.tags.values_list("pk", flat=True)) == list(
            second.tags.values_list("pk", flat=True)
        )

    def test_same_link_within_30_days_is_refused_with_the_existing_story(
        self, member, other_member, category
    ):
        first = submit(member, category)
        with pytest.raises(services.StoryError) as error:
            submit(other_member, category, url="http://www.news.example.org/tool-library/")
        assert error.value.existing == first
        assert Story.objects.count() == 1

    def test_same_link_after_30_days_is_accepted(self, member, category):
        first = submit(member, category)
        Story.objects.filter(pk=first.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=31)
        )
        submit(member, category)
        assert Story.objects.count() == 2

    def test_title_and_summary_are_trimmed(self, member, category):
        story = submit(member, category, title="  Spaced out  ", summary="  text \n")
        assert story.title == "Spaced out"
        assert story.summary == "text"


class TestVet:
    def test_vet_counts_and_remembers_queue_state(self, story, member):
        vet = services.story_vet(member=member, story=story)
        assert vet.while_newly_submitted is True
        story.refresh_from_db()
        assert story.vet_count == 1

    def test_vetting_twice_is_refused_without_a_second_row(self, story, member):
        services.story_vet(member=member, story=story)
        with pytest.raises(services.StoryError, match="already noted"):
            services.story_vet(member=member, story=story)
        assert Vet.objects.count() == 1
        story.refresh_from_db()
        assert story.vet_count == 1

    def test_own_story_cannot_be_vetted(self, story):
        with pytest.raises(services.StoryError, match="your own"):
            services.story_vet(member=story.submitter, story=story)
        assert Vet.objects.count() == 0

    @pytest.mark.parametrize(
        "status", [Story.Status.HIDDEN, Story.Status.REJECTED, Story.Status.EXPIRED]
    )
    def test_stories_off_the_site_cannot_be_vetted(self, category, member, status):
        story = StoryFactory(category=category, status=status)
        with pytest.raises(services.StoryError):
            services.story_vet(member=member, story=story)

    def test_promoted_at_threshold_and_not_before(self, story, settings):
        settings.STORY_PROMOTE_AT_VETS = 5
        for n in range(1, 6):
            services.story_vet(member=UserFactory(), story=story)
            story.refresh_from_db()
            if n < 5:
                assert story.status == Story.Status.NEW
        assert story.status == Story.Status.PUBLISHED
        assert story.published_at is not None

    def test_vets_after_publication_do_not_change_published_at(self, story, settings):
        settings.STORY_PROMOTE_AT_VETS = 1
        services.story_vet(member=UserFactory(), story=story)
        story.refresh_from_db()
        published_at = story.published_at
        vet = services.story_vet(member=UserFactory(), story=story)
        story.refresh_from_db()
        assert story.published_at == published_at
        assert vet.while_newly_submitted is False

    def test_pays_credits_by_queue_state(self, story, published_story, member):
        with mock.patch("stories.services.credit_award") as award:
            services.story_vet(member=member, story=story)
            services.story_vet(member=member, story=published_story)
        actions = [c.kwargs["action"] for c in award.call_args_list]
        keys = [c.kwargs["key"] for c in award.call_args_list]
        assert actions == [Action.VET_NEW, Action.VET_OTHER]
        assert keys == [f"vet:{member.pk}:{story.pk}", f"vet:{member.pk}:{published_story.pk}"]


class TestReport:
    def test_report_once(self, story, member):
        services.story_report(member=member, story=story, reason=Report.Reason.SPAM)
        with pytest.raises(services.StoryError, match="already reported"):
            services.story_report(member=member, story=story, reason=Report.Reason.OTHER)
        story.refresh_from_db()
        assert story.report_count == 1

    def test_unknown_reason_is_refused(self, story, member):
        with pytest.raises(services.StoryError):
            services.story_report(member=member, story=story, reason="bored")

    def test_hidden_at_threshold(self, published_story, settings):
        settings.STORY_HIDE_AT_REPORTS = 3
        for n in range(3):
            services.story_report(member=UserFactory(), story=published_story, reason="spam")
            published_story.refresh_from_db()
            expected = Story.Status.HIDDEN if n == 2 else Story.Status.PUBLISHED
            assert published_story.status == expected

    def test_reports_no_longer_hide_once_a_moderator_decided(self, published_story, settings):
        settings.STORY_HIDE_AT_REPORTS = 1
        services.story_report(member=UserFactory(), story=published_story, reason="spam")
        services.stories_publish(story_ids=[published_story.pk])
        services.story_report(member=UserFactory(), story=published_story, reason="spam")
        published_story.refresh_from_db()
        assert published_story.status == Story.Status.PUBLISHED


class TestModeration:
    def test_publish_from_queue_sets_published_at(self, story):
        result = services.stories_publish(story_ids=[story.pk])
        story.refresh_from_db()
        assert result.changed == 1
        assert story.status == Story.Status.PUBLISHED
        assert story.published_at and story.reviewed_at

    def test_republish_keeps_original_published_at(self, published_story):
        original = published_story.published_at
        services.stories_hide(story_ids=[published_story.pk])
        services.stories_publish(story_ids=[published_story.pk])
        published_story.refresh_from_db()
        assert published_story.status == Story.Status.PUBLISHED
        assert published_story.published_at == original

    def test_publish_twice_changes_nothing(self, published_story):
        assert services.stories_publish(story_ids=[published_story.pk]).changed == 0

    def test_hide_and_reject(self, story, published_story):
        services.stories_hide(story_ids=[story.pk])
        services.stories_reject(story_ids=[published_story.pk])
        story.refresh_from_db()
        published_story.refresh_from_db()
        assert story.status == Story.Status.HIDDEN
        assert published_story.status == Story.Status.REJECTED

    def test_reject_as_spam_reverses_vet_credits(self, story):
        vets = VetFactory.create_batch(2, story=story)
        with mock.patch("stories.services.credit_reverse") as reverse:
            services.stories_reject(story_ids=[story.pk], as_spam=True)
        keys = sorted(c.kwargs["key"] for c in reverse.call_args_list)
        assert keys == sorted(f"vet:{v.member_id}:{story.pk}" for v in vets)

    def test_plain_reject_reverses_nothing(self, story):
        VetFactory(story=story)
        with mock.patch("stories.services.credit_reverse") as reverse:
            services.stories_reject(story_ids=[story.pk])
        reverse.assert_not_called()


class TestExpire:
    def test_expires_only_stale_newly_submitted_stories(self, settings):
        settings.STORY_NEWLY_SUBMITTED_DAYS = 7
        old = timezone.now() - datetime.timedelta(days=8)
        category = CategoryFactory()
        stale = StoryFactory(category=category, created_at=old)
        fresh = StoryFactory(category=category)
        published = StoryFactory(category=category, created_at=old, published=True)
        assert services.stories_expire_stale() == 1
        assert services.stories_expire_stale() == 0  # idempotent
        statuses = dict(Story.objects.values_list("pk", "status"))
        assert statuses == {
            stale.pk: Story.Status.EXPIRED,
            fresh.pk: Story.Status.NEW,
            published.pk: Story.Status.PUBLISHED,
        }

    def test_beat_task_runs_the_service(self, settings):
        from stories.tasks import expire_newly_submitted_task

        StoryFactory(created_at=timezone.now() - datetime.timedelta(days=30))
        assert expire_newly_submitted_task.delay().get() == 1
        assert "stories-expire-newly-submitted" in settings.CELERY_BEAT_SCHEDULE


def test_report_factory_builds(db):
    assert ReportFactory().story.report_count == 0
