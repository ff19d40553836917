"""One reports module (care2.reports) with one rule, used by stories and comments alike:
the drift between ``story_report`` and ``comment_report`` is gone."""

from unittest import mock

import pytest
from django.urls import reverse

from care2 import reports
from care2.users.services import user_suspend
from comments import services as comment_services
from comments.models import Comment, CommentReport
from stories import services as story_services
from stories.models import Report, Story
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def suspended():
    member = UserFactory()
    user_suspend(user=member, by=None, reason="spam")
    return member


# Each kind: how to report an item, a fresh reportable item, and the app's error.
KINDS = {
    "story": (
        lambda member, item, reason="spam": story_services.story_report(
            member=member, story=item, reason=reason
        ),
        lambda: StoryFactory(status=Story.Status.PUBLISHED),
        story_services.StoryError,
        Report,
    ),
    "comment": (
        lambda member, item, reason="spam": comment_services.comment_report(
            member=member, comment=item, reason=reason
        ),
        lambda: CommentFactory(),
        comment_services.CommentError,
        CommentReport,
    ),
}


def author_of(item):
    return item.submitter if isinstance(item, Story) else item.author


class TestTheDriftIsGone:
    """``comment_report`` refused these; ``story_report`` took them."""

    def test_a_submitter_cannot_report_their_own_story(self, published_story):
        with pytest.raises(story_services.StoryError, match="your own story"):
            story_services.story_report(
                member=published_story.submitter, story=published_story, reason="spam"
            )
        published_story.refresh_from_db()
        assert published_story.report_count == 0 and not Report.objects.exists()

    def test_a_suspended_member_cannot_report_a_story(self, published_story):
        with pytest.raises(story_services.StoryError, match="suspended"):
            story_services.story_report(member=suspended(), story=published_story, reason="spam")
        assert not Report.objects.exists()

    def test_a_story_no_longer_on_the_site_cannot_be_reported(self):
        story = StoryFactory(status=Story.Status.REJECTED)
        with pytest.raises(story_services.StoryError, match="no longer on the site"):
            story_services.story_report(member=UserFactory(), story=story, reason="spam")
        assert not Report.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
class TestOneRule:
    def test_goes_through_the_one_function(self, kind):
        file_report, make, _error, report_model = KINDS[kind]
        item = make()
        module = story_services if kind == "story" else comment_services
        with mock.patch.object(module, "report_file", wraps=reports.report_file) as spy:
            made = file_report(UserFactory(), item)
        spy.assert_called_once()
        assert spy.call_args.args[0].report_model is report_model
        assert spy.call_args.kwargs["item"] == item
        assert isinstance(made, report_model)

    def test_own_item_refused(self, kind):
        file_report, make, error, report_model = KINDS[kind]
        item = make()
        with pytest.raises(error, match="your own"):
            file_report(author_of(item), item)
        assert not report_model.objects.exists()

    def test_suspended_member_refused(self, kind):
        file_report, make, error, report_model = KINDS[kind]
        with pytest.raises(error, match="suspended"):
            file_report(suspended(), make())
        assert not report_model.objects.exists()

    def test_unverified_member_refused(self, kind):
        file_report, make, error, report_model = KINDS[kind]
        with pytest.raises(error, match="verify your e-mail"):
            file_report(UserFactory(verified=False), make())
        assert not report_model.objects.exists()

    def test_unknown_reason_refused(self, kind):
        file_report, make, error, report_model = KINDS[kind]
        with pytest.raises(error, match="Choose a reason"):
            file_report(UserFactory(), make(), reason="bored")
        assert not report_model.objects.exists()

    def test_once_per_member_and_counted(self, kind):
        file_report, make, error, report_model = KINDS[kind]
        item, member = make(), UserFactory()
        file_report(member, item)
        with pytest.raises(error, match="already reported"):
            file_report(member, item)
        item.refresh_from_db()
        assert item.report_count == 1 == report_model.objects.count()

    def test_hidden_at_the_threshold_once(self, kind, settings):
        settings.STORY_HIDE_AT_REPORTS = settings.COMMENT_HIDE_AT_REPORTS = 2
        file_report, make, _error, _model = KINDS[kind]
        item = make()
        file_report(UserFactory(), item)
        assert item.status in (Story.Status.PUBLISHED, Comment.Status.VISIBLE)
        file_report(UserFactory(), item)
        assert item.status == "hidden"  # read back by the kernel
        file_report(UserFactory(), item)  # a third report is still taken
        item.refresh_from_db()
        assert (item.status, item.report_count) == ("hidden", 3)

    def test_the_item_row_is_locked_first(self, kind):
        """Reports of one item queue on its row (SELECT ... FOR UPDATE)."""
        file_report, make, _error, _model = KINDS[kind]
        item = make()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            file_report(UserFactory(), item)
        table = item._meta.db_table
        locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and table in q["sql"]]
        assert len(locks) == 1


def test_story_report_view_says_why_it_is_refused(client, published_story):
    client.force_login(published_story.submitter)
    response = client.post(
        reverse("stories:report", args=[published_story.pk]), {"reason": "spam"}, follow=True
    )
    assert response.status_code == 200
    assert "You can&#x27;t report your own story." in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_report_pages_post_in_a_pinned_number_of_queries(
    client, kind, django_assert_max_num_queries
):
    """The lock adds one query; the e-mail check reuses the page's own (member_can_act)."""
    _file_report, make, _error, report_model = KINDS[kind]
    item = make()
    url = reverse("stories:report" if kind == "story" else "comments:report", args=[item.pk])
    client.force_login(UserFactory())
    with django_assert_max_num_queries(QUERIES[kind]):
        client.post(url, {"reason": "spam"})
    assert report_model.objects.count() == 1


QUERIES = {"story": 15, "comment": 16}


def test_the_submitter_is_not_offered_a_report_of_their_own_story(client):
    from tests.factories import StoryFactory, UserFactory

    submitter, other = UserFactory(), UserFactory()
    story = StoryFactory(submitter=submitter, published=True)
    report_url = reverse("stories:report", args=[story.pk])
    client.force_login(submitter)
    assert report_url not in client.get(story.get_absolute_url()).content.decode()
    client.force_login(other)
    assert report_url in client.get(story.get_absolute_url()).content.decode()
