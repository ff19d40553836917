"""The thread is rendered once and shared (comments.fragments): each viewer still gets
their own links, marks and time zone, and every comment write shows at once."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.fragments import SLOT, Entry, Fragment, Viewer, personalize
from comments.models import Comment
from tests.comments.factories import CommentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thread_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60


def links(html: str, comment: Comment) -> set[str]:
    """The action links under ``comment`` on a page."""
    article = re.search(rf'id="comment-{comment.pk}".*?</article>', html, re.S).group(0)
    actions = re.search(r'<p class="comment-actions small">(.*?)</p>', article, re.S)
    return set(re.findall(r">(Reply|Edit|Delete|Remove|Report)</a>", actions.group(1)))


def page(client, user, story) -> str:
    client.force_login(user)
    return client.get(story.get_absolute_url()).content.decode()


def test_one_cached_thread_each_viewer_their_own_links(client, story, member, moderator):
    mine = CommentFactory(story=story, author=member)
    theirs = CommentFactory(story=story, author=UserFactory())
    html = page(client, member, story)
    assert links(html, mine) == {"Reply", "Edit", "Delete"}
    assert links(html, theirs) == {"Reply", "Report"}
    html = page(client, moderator, story)  # same cached thread
    assert links(html, mine) == {"Reply", "Remove", "Report"}
    client.logout()
    html = client.get(story.get_absolute_url()).content.decode()
    assert links(html, mine) == {"Report"}
    assert "\x00" not in html


def test_the_second_member_view_does_not_read_the_thread(
    client, story, member, django_assert_max_num_queries
):
    CommentFactory.create_batch(5, story=story)
    client.force_login(member)
    url = story.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(30) as queries:
        client.get(url)
    assert not [q for q in queries.captured_queries if "comments_comment" in q["sql"]]


def test_a_new_or_edited_comment_shows_at_once(
    client, story, member, django_capture_on_commit_callbacks
):
    page(client, member, story)  # the thread is cached
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_create(author=member, story=story, body="First light")
    assert "First light" in page(client, member, story)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_edit(comment=comment, editor=member, body="Second light")
    html = page(client, member, story)
    assert "Second light" in html and "First light" not in html
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_delete(comment=comment, member=member)
    assert "Second light" not in page(client, member, story)


def test_dates_follow_each_viewers_time_zone(client, story):
    CommentFactory(
        story=story, created_at=datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
    )
    tokyo = UserFactory(time_zone="Asia/Tokyo")
    new_york = UserFactory(time_zone="America/New_York")
    assert "March 11, 2026, 12:00 am" in page(client, tokyo, story)
    assert "March 10, 2026, 11:00 am" in page(client, new_york, story)


def test_the_edit_link_goes_when_the_window_closes(client, story, member, settings):
    old = timezone.now() - datetime.timedelta(minutes=settings.COMMENT_EDIT_MINUTES + 1)
    late = CommentFactory(story=story, author=member, created_at=old)
    fresh = CommentFactory(story=story, author=member)
    html = page(client, member, story)
    assert links(html, late) == {"Reply", "Delete"}
    assert links(html, fresh) == {"Reply", "Edit", "Delete"}


def test_a_suspended_member_gets_no_reply_or_report_links(client, story, member):
    theirs = CommentFactory(story=story)
    member.suspended_until = timezone.now() + datetime.timedelta(days=1)
    member.save()
    client.force_login(member)
    html = client.get(story.get_absolute_url()).content.decode()
    assert links(html, theirs) == set()


def test_no_comment_can_forge_a_slot(client, story, member):
    client.force_login(member)
    response = client.post(
        reverse("comments:add", args=[story.pk]), {"body": "hello \x00a1\x00 there"}
    )
    # Control characters are dropped at input, so the slot marker never reaches the thread.
    assert response.status_code == 302
    assert Comment.objects.get().body == "hello a1 there"
    assert "\x00" not in Comment.objects.get().body_html
    assert SLOT.search("hello \x00a1\x00") is not None  # the test would catch a forged slot


def test_personalize_marks_only_others_comments_after_the_visit():
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    entries = (
        Entry(pk=1, author_id=10, created_at=now - 3 * hour, visible=True),
        Entry(pk=2, author_id=11, created_at=now - hour, visible=True),
        Entry(pk=3, author_id=10, created_at=now - hour, visible=True),
        Entry(pk=4, author_id=11, created_at=now - hour, visible=False),
    )
    html = "".join(
        f'<article class="c\x00n{e.pk}\x00">\x00b{e.pk}\x00\x00a{e.pk}\x00</article>'
        for e in entries
    )
    thread = personalize(Fragment(html=html, entries=entries), Viewer(pk=10, since=now - 2 * hour))
    assert thread.new_count == 1 and thread.first_new == 2 and thread.count == 4
    assert thread.html.count("comment-new") == 1
    assert '<article class="c comment-new"><span class="badge badge-new"' in thread.html
    assert "\x00" not in thread.html
    first_visit = personalize(Fragment(html=html, entries=entries), Viewer(pk=10))
    assert first_visit.new_count == 0 and first_visit.first_new is None


def test_a_new_name_shows_at_once(client, story, member, django_capture_on_commit_callbacks):
    CommentFactory(story=story, author=member)
    assert "Beth S</bdi></a>" in page(client, member, story)  # the thread is cached
    settings_form = {"first_name": "Elisabeth", "last_name": "Stone", "time_zone": "UTC"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("settings:index"), settings_form)
    html = page(client, member, story)
    assert "Elisabeth S</bdi></a>" in html and "Beth S</bdi></a>" not in html


def test_a_deleted_account_shows_at_once(client, story, member, django_capture_on_commit_callbacks):
    from care2.users.privacy import member_delete

    CommentFactory(story=story, author=member)
    reader = UserFactory()
    assert "Beth S</bdi></a>" in page(client, reader, story)
    with django_capture_on_commit_callbacks(execute=True):
        member_delete(user=member)
    html = page(client, reader, story)
    assert "deleted member</bdi>" in html and "Beth S</bdi></a>" not in html
