"""A comment with a link typed as ``<a href=…>`` shows as the story page shows it (a
real, sanitized link) or as plain text, wherever it appears: never as markup."""

import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse

from care2.sanitize import comment_text, sanitize_comment
from care2.users.models import Message
from comments import services
from tests.comments.factories import CommentFactory, TrackingFactory

pytestmark = pytest.mark.django_db

TYPED = 'Read <a href="https://example.org/report">the report</a> & tell me, a < b.'
LINK = '<a href="https://example.org/report" rel="nofollow ugc noopener">the report</a>'


def assert_no_markup_as_text(html: str):
    assert "&lt;a" not in html and "&lt;/a" not in html
    assert "href=&quot;" not in html


def notify(story, author, *trackers):
    comment = services.comment_create(author=author, story=story, body=TYPED)
    services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[t.pk for t in trackers])
    return comment


def test_plain_text_of_a_comment():
    html = sanitize_comment(f"{TYPED} See https://example.org/x and example.org/y.")
    assert comment_text(html) == (
        "Read the report (https://example.org/report) & tell me, a < b. "
        "See https://example.org/x and http://example.org/y."
    )
    assert comment_text(html, urls=False) == (
        "Read the report & tell me, a < b. See https://example.org/x and example.org/y."
    )
    assert comment_text(sanitize_comment('<a href="mailto:a@example.org">a@example.org</a>')) == (
        "a@example.org"
    )


def test_inbox_message_shows_a_real_link(client, member, other_member, story):
    TrackingFactory(member=member, story=story)
    notify(story, other_member, member)
    message = Message.objects.get(recipient=member)
    assert message.body.startswith("Read the report (https://example.org/report) & tell me, a < b.")
    client.force_login(member)
    html = client.get(reverse("users:inbox")).content.decode()
    assert_no_markup_as_text(html)
    assert "Read the report (" in html
    assert '<a href="https://example.org/report"' in html
    assert "a &lt; b." in html  # typed text stays text


def test_e_mail_is_plain_text_without_tags(member, other_member, story, mailoutbox):
    member.email_on_tracked_comments = True
    member.save(update_fields=["email_on_tracked_comments"])
    TrackingFactory(member=member, story=story)
    notify(story, other_member, member)
    (mail,) = mailoutbox
    assert "Read the report (https://example.org/report) & tell me, a < b." in mail.body
    assert "<a" not in mail.body and "&lt;" not in mail.body and "&amp;" not in mail.body


def test_profile_excerpt_is_the_text(client, member, story, django_assert_max_num_queries):
    CommentFactory(story=story, author=member, body=TYPED)
    url = reverse("users:profile", args=[member.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert_no_markup_as_text(html)
    assert "Read the report &amp; tell me, a &lt; b." in html


def test_api_gives_the_sanitized_html(client, story):
    CommentFactory(story=story, body=TYPED)
    data = json.loads(client.get(f"/api/v1/stories/{story.pk}/").content)
    (comment,) = data["thread"]
    assert LINK in comment["html"] and "&lt;a" not in comment["html"]


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def test_admin_list_shows_the_text(as_moderator, story):
    CommentFactory(story=story, body=TYPED)
    html = as_moderator.get(reverse("admin:comments_comment_changelist")).content.decode()
    assert_no_markup_as_text(html)
    assert "Read the report (https://example.org/report)" in html


def test_admin_decision_page_shows_it_as_the_thread_does(as_moderator, story):
    comment = CommentFactory(story=story, body=TYPED)
    html = as_moderator.get(
        reverse("admin:comments_comment_moderate", args=[comment.pk])
    ).content.decode()
    page = html.split('data-testid="moderated-comment">', 1)[1].split("</blockquote>", 1)[0]
    assert LINK in page
    assert_no_markup_as_text(page)


def test_messages_written_before_become_plain_text(member):
    old = Message.objects.create(
        recipient=member,
        subject="Allen G commented",
        body=f"{TYPED}\n\nStop tracking this story: https://site.example/comments/stop/abc/",
        key="comment:1",
    )
    other = Message.objects.create(recipient=member, subject="x", body="<b>kept</b>", key="x:1")
    migration = importlib.import_module("comments.migrations.0006_plain_text_messages")
    migration.to_plain_text(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.body == (
        "Read the report (https://example.org/report) & tell me, a < b.\n\n"
        "Stop tracking this story: https://site.example/comments/stop/abc/"
    )
    assert other.body == "<b>kept</b>"  # not a comment notification


def test_comment_str_is_the_text():
    comment = CommentFactory.build(body=TYPED, body_html=sanitize_comment(TYPED))
    assert str(comment) == "Read the report & tell me, a < b."
