import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.forms import TRACK_LABEL
from comments.models import Comment, Tracking
from stories.models import StoryVisit
from tests.comments.factories import CommentFactory, TrackingFactory, bulk_thread
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def add_url(story):
    return reverse("comments:add", args=[story.pk])


class TestStoryPage:
    def test_anonymous_reader_sees_thread_and_sign_in(self, client, story):
        comment = CommentFactory(
            story=story, body="Reader-visible words", body_html="Reader-visible words"
        )
        html = client.get(story.get_absolute_url()).content.decode()
        assert "Reader-visible words" in html
        assert 'data-testid="comment-count">1<' in html
        assert f'id="comment-{comment.pk}"' in html
        assert "Sign in</a> or" in html
        assert 'id="comment-form"' not in html

    def test_seed_texts_on_the_form(self, as_member, story):
        html = as_member.get(story.get_absolute_url()).content.decode()
        assert "plain text only please. Allowable HTML: &lt;a&gt;" in html
        assert TRACK_LABEL in html
        assert '<label for="id_body">' in html and '<label for="id_track">' in html
        assert "Track comments</button>" in html

    def test_comment_shows_name_number_date_and_permalink(self, client, story, settings):
        author = UserFactory(first_name="Beth", last_name="summers")
        when = datetime.datetime(2015, 1, 22, 13, 30, tzinfo=datetime.UTC)  # 8:30 am in New York
        comment = CommentFactory(story=story, author=author, created_at=when)
        html = client.get(story.get_absolute_url()).content.decode()
        assert ">Beth S</bdi></a>" in html
        assert "(0)" in html
        assert "Thursday January 22, 2015, 8:30 am" in html
        assert '<time datetime="2015-01-22T08:30:00-05:00">' in html
        assert f'href="{story.get_absolute_url()}#comment-{comment.pk}"' in html

    def test_reader_time_zone(self, client, story):
        reader = UserFactory(time_zone="Europe/Paris")
        client.force_login(reader)
        CommentFactory(
            story=story, created_at=datetime.datetime(2015, 1, 22, 13, 30, tzinfo=datetime.UTC)
        )
        assert (
            "Thursday January 22, 2015, 2:30 pm"
            in client.get(story.get_absolute_url()).content.decode()
        )

    def test_odd_public_names_are_escaped(self, client, story):
        CommentFactory(
            story=story, author=UserFactory(first_name="<img src=x onerror=alert(1)>", last_name="")
        )
        html = client.get(story.get_absolute_url()).content.decode()
        assert "<img src=x" not in html and "&lt;img src=x" in html

    def test_edited_mark(self, client, story):
        CommentFactory(story=story, edited_at=timezone.now())
        assert "(edited)" in client.get(story.get_absolute_url()).content.decode()

    def test_actions_shown_as_permitted(self, client, member, other_member, moderator, story):
        own = CommentFactory(story=story, author=member)
        old = CommentFactory(
            story=story, author=member, created_at=timezone.now() - datetime.timedelta(hours=1)
        )
        other = CommentFactory(story=story, author=other_member)
        client.force_login(member)
        html = client.get(story.get_absolute_url()).content.decode()
        assert reverse("comments:edit", args=[own.pk]) in html
        assert reverse("comments:edit", args=[old.pk]) not in html
        assert reverse("comments:delete", args=[old.pk]) in html
        assert reverse("comments:delete", args=[other.pk]) not in html
        assert reverse("comments:reply", args=[other.pk]) in html
        assert reverse("comments:remove", args=[other.pk]) not in html
        client.force_login(moderator)
        assert (
            reverse("comments:remove", args=[other.pk])
            in client.get(story.get_absolute_url()).content.decode()
        )

    def test_unverified_member_is_asked_to_verify(self, client, story):
        client.force_login(UserFactory(verified=False))
        html = client.get(story.get_absolute_url()).content.decode()
        assert "verify your e-mail address</a> to comment" in html
        assert 'id="comment-form"' not in html

    def test_newly_submitted_story_has_no_form(self, as_member, category):
        story = StoryFactory(category=category)
        html = as_member.get(story.get_absolute_url()).content.decode()
        assert "Comments open once the story is published." in html
        assert 'id="comment-form"' not in html

    def test_thread_in_constant_queries(self, client, member, story, django_assert_max_num_queries):
        authors = [UserFactory() for _ in range(20)]
        bulk_thread(story=story, authors=authors, count=10)
        client.force_login(member)
        url = story.get_absolute_url()
        cache.clear()  # cold like the second request (the session and the member's facts too)
        with django_assert_max_num_queries(25) as small:
            client.get(url)
        bulk_thread(story=story, authors=authors, count=990)
        cache.clear()  # the sidebars are cached: both requests start cold
        StoryVisit.objects.all().delete()  # and both are first visits (one write each)
        with django_assert_max_num_queries(len(small.captured_queries)) as large:
            response = client.get(url)
        assert response.content.decode().count('data-testid="comment"') == 1000
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_deep_thread_renders_without_recursion(self, client, story):
        authors = [UserFactory()]
        bulk_thread(story=story, authors=authors, count=300, replies_every=300)
        html = client.get(story.get_absolute_url()).content.decode()
        assert html.count('data-testid="comment"') == 300
        assert "depth-8" in html and "depth-9" not in html


class TestPosting:
    def test_post_comment(self, as_member, member, story):
        response = as_member.post(add_url(story), {"body": "Great news\nfor everyone"})
        comment = Comment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{story.get_absolute_url()}#comment-{comment.pk}"
        assert comment.author == member and comment.body == "Great news\nfor everyone"
        page = as_member.get(story.get_absolute_url()).content.decode()
        assert "Thank you! Your comment is posted." in page
        assert 'data-testid="comment-count">1<' in page

    def test_post_with_track_box(self, as_member, member, story):
        as_member.post(add_url(story), {"body": "Tracking", "track": "on"})
        assert Tracking.objects.filter(member=member, story=story).exists()
        html = as_member.get(story.get_absolute_url()).content.decode()
        assert "You track comments on this story." in html
        assert 'name="track"' not in html  # no box while tracking

    @pytest.mark.parametrize("body", ["", "    \n  "])
    def test_empty_comment_reshown_with_message(self, as_member, story, body):
        response = as_member.post(add_url(story), {"body": body})
        assert response.status_code == 200
        assert "an empty comment can" in response.content.decode()
        assert not Comment.objects.exists()

    def test_too_long_comment_keeps_the_text(self, as_member, story):
        body = "word " * 1001 + "END-OF-TEXT"
        response = as_member.post(add_url(story), {"body": body})
        html = response.content.decode()
        assert "at most 5000 characters" in html
        assert "END-OF-TEXT</textarea>" in html
        assert "maxlength" not in html
        assert not Comment.objects.exists()

    def test_rate_limit_keeps_the_text(self, as_member, story, still_clock):
        for i in range(5):
            assert as_member.post(add_url(story), {"body": f"comment {i}"}).status_code == 302
        response = as_member.post(add_url(story), {"body": "the sixth, kept"})
        assert response.status_code == 429
        html = response.content.decode()
        assert "at most 5 comments a minute" in html
        assert "the sixth, kept</textarea>" in html
        assert Comment.objects.count() == 5

    def test_rate_limit_is_per_member(self, client, story):
        for user in (UserFactory(), UserFactory()):
            client.force_login(user)
            for i in range(5):
                assert client.post(add_url(story), {"body": f"c{i}"}).status_code == 302

    def test_anonymous_redirected_to_sign_in(self, client, story):
        response = client.post(add_url(story), {"body": "hi"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Comment.objects.exists()

    def test_unverified_cannot_post(self, client, story):
        client.force_login(UserFactory(verified=False))
        response = client.post(add_url(story), {"body": "hi"})
        assert not Comment.objects.exists()
        assert response.status_code in (200, 302)

    def test_unpublished_story_is_404(self, as_member, category):
        story = StoryFactory(category=category)
        assert as_member.post(add_url(story), {"body": "hi"}).status_code == 404
        # The post is written without reading the story: its statement refused it whole.
        assert not Comment.objects.exists()
        story.refresh_from_db()
        assert story.comment_count == 0

    @pytest.mark.parametrize("pk", [10**9, 10**30])
    def test_missing_story_is_404(self, as_member, story, pk):
        response = as_member.post(reverse("comments:add", args=[pk]), {"body": "hi"})
        assert response.status_code == 404
        assert not Comment.objects.exists()

    def test_post_goes_back_to_the_comment_on_the_story_page(self, as_member, story):
        response = as_member.post(add_url(story), {"body": "Right back here"})
        comment = Comment.objects.get()
        assert response["Location"] == f"{story.get_absolute_url()}#comment-{comment.pk}"
        assert comment.story_id == story.pk and comment.path
        story.refresh_from_db()
        assert story.comment_count == 1

    def test_get_shows_the_form_page(self, as_member, story):
        html = as_member.get(add_url(story)).content.decode()
        assert "<h1>Add your comment</h1>" in html and 'name="body"' in html


class TestReply:
    def test_reply_page_and_post(self, as_member, member, story):
        parent = CommentFactory(story=story, body="Original point", body_html="Original point")
        url = reverse("comments:reply", args=[parent.pk])
        html = as_member.get(url).content.decode()
        assert "Original point" in html and "Post reply" in html
        response = as_member.post(url, {"body": "My reply"})
        reply = Comment.objects.get(parent=parent)
        assert response["Location"].endswith(f"#comment-{reply.pk}")
        assert reply.depth == 2 and reply.author == member

    def test_reply_error_keeps_parent_and_text(self, as_member, story):
        parent = CommentFactory(story=story, body="Original point", body_html="Original point")
        response = as_member.post(reverse("comments:reply", args=[parent.pk]), {"body": "x" * 5001})
        html = response.content.decode()
        assert "Original point" in html and "at most 5000" in html

    def test_reply_to_deleted_comment(self, as_member, story):
        parent = CommentFactory(story=story, status=Comment.Status.DELETED)
        response = as_member.post(reverse("comments:reply", args=[parent.pk]), {"body": "hi"})
        assert response.status_code == 302
        assert not Comment.objects.filter(parent=parent).exists()


class TestEditDelete:
    def test_edit(self, as_member, member, story):
        comment = services.comment_create(author=member, story=story, body="teh text")
        url = reverse("comments:edit", args=[comment.pk])
        assert "teh text</textarea>" in as_member.get(url).content.decode()
        response = as_member.post(url, {"body": "the text"})
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.body == "the text" and comment.edited_at

    def test_edit_error_keeps_text(self, as_member, member, story):
        comment = services.comment_create(author=member, story=story, body="teh text")
        response = as_member.post(reverse("comments:edit", args=[comment.pk]), {"body": " "})
        assert "an empty comment can" in response.content.decode()

    def test_edit_after_window(self, as_member, member, story):
        comment = CommentFactory(
            story=story, author=member, created_at=timezone.now() - datetime.timedelta(minutes=45)
        )
        response = as_member.post(
            reverse("comments:edit", args=[comment.pk]), {"body": "late"}, follow=True
        )
        assert "can no longer be changed" in response.content.decode()
        comment.refresh_from_db()
        assert comment.body != "late"

    def test_someone_elses_comment_is_404(self, as_member, story):
        comment = CommentFactory(story=story)
        assert as_member.get(reverse("comments:edit", args=[comment.pk])).status_code == 404
        assert as_member.post(reverse("comments:delete", args=[comment.pk])).status_code == 404

    def test_delete_confirm_then_post(self, as_member, member, story):
        comment = CommentFactory(story=story, author=member)
        url = reverse("comments:delete", args=[comment.pk])
        assert "Delete my comment" in as_member.get(url).content.decode()
        comment.refresh_from_db()
        assert comment.is_visible  # GET never deletes
        as_member.post(url)
        comment.refresh_from_db()
        assert comment.status == Comment.Status.DELETED

    def test_delete_with_replies_leaves_placeholder(self, as_member, member, story):
        comment = CommentFactory(
            story=story, author=member, body="DELETED-WORDS", body_html="DELETED-WORDS"
        )
        CommentFactory(parent=comment, body="kept reply", body_html="kept reply")
        as_member.post(reverse("comments:delete", args=[comment.pk]))
        html = as_member.get(story.get_absolute_url()).content.decode()
        assert "Comment deleted." in html and "kept reply" in html and "DELETED-WORDS" not in html
        assert 'data-testid="comment-count">1<' in html


class TestRemoveView:
    def test_moderator_removes_with_reason(self, client, moderator, story):
        comment = CommentFactory(story=story)
        client.force_login(moderator)
        url = reverse("comments:remove", args=[comment.pk])
        assert "Why is it removed?" in client.get(url).content.decode()
        response = client.post(url, {"note": "no reason given"})
        assert "Choose a reason" in response.content.decode()
        client.post(url, {"reason": "spam", "note": "link farm"})
        comment.refresh_from_db()
        assert (comment.status, comment.removal_reason, comment.removal_note) == (
            "removed",
            "spam",
            "link farm",
        )

    def test_members_get_403(self, as_member, story):
        comment = CommentFactory(story=story)
        assert (
            as_member.post(
                reverse("comments:remove", args=[comment.pk]), {"reason": "spam"}
            ).status_code
            == 403
        )
        comment.refresh_from_db()
        assert comment.is_visible


class TestTrackingViews:
    def test_toggle(self, as_member, member, story):
        url = reverse("comments:track", args=[story.pk])
        as_member.post(url, {"action": "track"})
        assert Tracking.objects.filter(member=member, story=story).exists()
        html = as_member.get(story.get_absolute_url()).content.decode()
        assert "Stop tracking</button>" in html
        as_member.post(url, {"action": "stop"})
        assert not Tracking.objects.filter(member=member).exists()

    def test_toggle_needs_sign_in_and_post(self, client, story):
        url = reverse("comments:track", args=[story.pk])
        assert client.post(url).status_code == 302
        assert not Tracking.objects.exists()
        client.force_login(UserFactory())
        assert client.get(url).status_code == 405

    def test_stop_link_logged_out(self, client, member, story):
        TrackingFactory(member=member, story=story)
        token = services.stop_tracking_token(member_id=member.pk, story_id=story.pk)
        url = reverse("comments:stop_tracking", args=[token])
        html = client.get(url).content.decode()
        assert "Stop tracking this story</button>" in html and story.title in html
        assert Tracking.objects.exists()
        html = client.post(url).content.decode()
        assert "no longer get messages" in html
        assert not Tracking.objects.exists()
        assert client.post(url).status_code == 200  # a second click is harmless

    def test_mail_clients_one_click_unsubscribe(self, member, story):
        """RFC 8058: the mail client posts "List-Unsubscribe=One-Click" to the link, with
        no cookie and no CSRF token."""
        from django.test import Client

        TrackingFactory(member=member, story=story)
        token = services.stop_tracking_token(member_id=member.pk, story_id=story.pk)
        response = Client(enforce_csrf_checks=True).post(
            reverse("comments:stop_tracking", args=[token]),
            {"List-Unsubscribe": "One-Click"},
        )
        assert response.status_code == 200
        assert not Tracking.objects.exists()

    def test_forged_token(self, client, member, story):
        token = services.stop_tracking_token(member_id=member.pk, story_id=story.pk)
        forged = re.sub(r".$", "A" if token[-1] != "A" else "B", token)
        response = client.post(reverse("comments:stop_tracking", args=[forged]))
        assert response.status_code == 400 and "not valid" in response.content.decode()


def test_permalink_redirects_to_the_comment(client, story):
    comment = CommentFactory(story=story)
    response = client.get(comment.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{story.get_absolute_url()}#comment-{comment.pk}"


def test_comments_count_toward_most_active_today(client, member, category):
    from stories.selectors import most_active_today

    quiet = StoryFactory(category=category, published=True)
    busy = StoryFactory(category=category, published=True)
    for _ in range(3):
        services.comment_create(author=member, story=busy, body="Lively discussion")
    assert most_active_today(category=category)[0] == busy
    html = client.get(quiet.get_absolute_url()).content.decode()
    assert busy.title in html.split("Most Active Today", 1)[1]


def test_story_page_with_1000_comments_renders_every_comment(client, story):
    """A flat list in thread order: no recursion however deep or long the thread.
    (How fast it renders is measured in bench/, never asserted here.)"""
    bulk_thread(story=story, authors=[UserFactory() for _ in range(50)], count=1000)
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('id="comment-') >= 1000


class TestReaderPageCache:
    """Readers may get the story page from the page cache: every comment change makes
    it stale."""

    @pytest.fixture(autouse=True)
    def cache_on(self, settings):
        settings.READER_PAGE_CACHE_SECONDS = 60

    def _reader_page(self, story):
        from django.test import Client

        return Client().get(story.get_absolute_url()).content.decode()

    def test_post_edit_delete_and_remove_refresh_the_cached_page(
        self, member, moderator, story, django_capture_on_commit_callbacks
    ):
        assert "No comments yet." in self._reader_page(story)
        with django_capture_on_commit_callbacks(execute=True):
            comment = services.comment_create(author=member, story=story, body="First words")
        assert "First words" in self._reader_page(story)
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_edit(comment=comment, editor=member, body="Second words")
        assert "Second words" in self._reader_page(story)
        with django_capture_on_commit_callbacks(execute=True):
            other = services.comment_create(author=member, story=story, body="Another one")
        assert "Another one" in self._reader_page(story)
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_delete(comment=comment, member=member)
        assert "Second words" not in self._reader_page(story)
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_remove(comment=other, moderator=moderator, reason="spam")
        assert "Another one" not in self._reader_page(story)
