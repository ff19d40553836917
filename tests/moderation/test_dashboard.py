"""The moderators' dashboard on the admin index: counts of what waits, each a link to
the admin list filtered to exactly those rows."""

import re
from html import unescape

import pytest
from django.urls import reverse

from comments import services as comment_services
from stories import services as story_services
from stories.models import Story
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.COMMENT_HIDE_AT_REPORTS = 3
    settings.STORY_HIDE_AT_REPORTS = 3


def report_story(story, times):
    for _ in range(times):
        story_services.story_report(member=UserFactory(), story=story, reason="spam")


def report_comment(comment, times):
    for _ in range(times):
        comment_services.comment_report(member=UserFactory(), comment=comment, reason="spam")


def dashboard(client) -> dict[str, tuple[int, str]]:
    html = client.get(reverse("admin:index")).content.decode()
    found = {}
    for url, key in re.findall(r'href="([^"]+)" data-testid="queue-([\w-]+)"', html):
        count = re.search(rf'data-testid="count-{key}">(\d+)<', html)
        found[key] = (int(count.group(1)), unescape(url))
    return found


def changelist_titles(client, url, words):
    html = client.get(url).content.decode()
    return {word for word in words if word in html}


@pytest.fixture
def waiting(category):
    """Two of everything: one item that waits and one that does not."""
    new_reported = StoryFactory(category=category, title="Story-new-reported")
    report_story(new_reported, 1)
    StoryFactory(category=category, title="Story-new-clean")
    hidden = StoryFactory(category=category, published=True, title="Story-hidden-by-reports")
    report_story(hidden, 3)
    decided = StoryFactory(category=category, title="Story-hidden-by-moderator")
    story_services.stories_hide(story_ids=[decided.pk], by=None)

    story = StoryFactory(category=category, published=True, title="Talk")
    flagged = CommentFactory(story=story, body="Comment-flagged")
    report_comment(flagged, 1)
    hidden_comment = CommentFactory(story=story, body="Comment-hidden")
    report_comment(hidden_comment, 3)
    CommentFactory(story=story, body="Comment-clean")
    return locals()


def test_counts_and_links(client, moderator, waiting):
    client.force_login(moderator)
    board = dashboard(client)
    assert board["stories-new-reported"][0] == 1
    assert board["stories-hidden"][0] == 1
    assert board["comments-reported"][0] == 2
    assert board["comments-hidden"][0] == 1

    story_words = [
        "Story-new-reported",
        "Story-new-clean",
        "Story-hidden-by-reports",
        "Story-hidden-by-moderator",
    ]
    assert changelist_titles(client, board["stories-new-reported"][1], story_words) == {
        "Story-new-reported"
    }
    assert changelist_titles(client, board["stories-hidden"][1], story_words) == {
        "Story-hidden-by-reports"
    }
    comment_words = ["Comment-flagged", "Comment-hidden", "Comment-clean"]
    assert changelist_titles(client, board["comments-reported"][1], comment_words) == {
        "Comment-flagged",
        "Comment-hidden",
    }
    assert changelist_titles(client, board["comments-hidden"][1], comment_words) == {
        "Comment-hidden"
    }


def test_a_decision_takes_items_off_the_dashboard(client, moderator, waiting):
    comment_services.comments_restore(
        comment_ids=[waiting["hidden_comment"].pk], moderator=moderator
    )
    story_services.stories_publish(story_ids=[waiting["hidden"].pk], by=moderator)
    client.force_login(moderator)
    board = dashboard(client)
    assert board["stories-hidden"][0] == 0
    assert board["comments-hidden"][0] == 0
    assert board["comments-reported"][0] == 1


def test_hidden_petitions_when_the_app_has_them(client):
    from django.apps import apps

    Petition = apps.get_model("petitions", "Petition")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    board = dashboard(client)
    if not any(f.name == "hidden_at" for f in Petition._meta.get_fields()):
        assert "petitions-hidden" not in board  # skipped until the model has it
        return
    assert board["petitions-hidden"][0] == 0
    response = client.get(board["petitions-hidden"][1])
    assert response.status_code == 200  # a lookup the admin refuses redirects with ?e=1


def test_dashboard_queries_are_few(client, moderator, waiting, django_assert_max_num_queries):
    from moderation.selectors import moderation_queue

    moderator = type(moderator).objects.get(pk=moderator.pk)
    moderator.has_perm("stories.view_story")  # permissions cached, as in a request
    with django_assert_max_num_queries(3):
        moderation_queue(user=moderator)


def test_superuser_sees_it_too(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert (
        'data-testid="moderation-dashboard"' in client.get(reverse("admin:index")).content.decode()
    )


def test_staff_without_permissions_see_no_counts(client):
    client.force_login(UserFactory(is_staff=True))
    html = client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="moderation-dashboard"' not in html


def test_members_never_see_the_admin_index(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert (
        'data-testid="moderation-dashboard"'
        not in client.get(reverse("admin:index"), follow=True).content.decode()
    )


def test_story_status_values_used_by_links():
    # The dashboard's query strings name these statuses literally.
    assert {"new", "hidden"} <= set(Story.Status.values)
