"""A comment that would render as nothing is refused with a message, the text kept."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from care2.sanitize import has_visible_text
from comments import services
from comments.models import Comment
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

EMPTY = [
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    '<a href="https://example.org/"></a>',
    "\u00a0\u2003\u3000",
    "\u3164\u2800",
    "\u202e\u200f",
    "&nbsp;",
    "\u0301",
]
SHOWN = [
    "a < b",
    "<!-- shown as typed -->",
    "<b></b>",  # markup other than <a> shows as typed
    "<img src=x onerror=alert(1)>",
    "x\u200b",
    "🌱",
    "https://example.org/",
    "&amp;",
]


@pytest.mark.parametrize("body", EMPTY)
def test_renders_empty(body):
    assert not has_visible_text(body)


@pytest.mark.parametrize("body", SHOWN)
def test_shows_something(body):
    assert has_visible_text(body)


@pytest.mark.parametrize("body", EMPTY)
def test_service_refuses(member, story, body):
    with pytest.raises(services.CommentError, match="empty comment"):
        services.comment_create(author=member, story=story, body=body)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", SHOWN)
def test_service_accepts(member, story, body):
    services.comment_create(author=member, story=story, body=body)


@pytest.mark.parametrize("body", EMPTY)
def test_form_says_so_and_keeps_the_text(client, member, story, body):
    client.force_login(member)
    response = client.post(reverse("comments:add", args=[story.pk]), {"body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert "an empty comment can" in html and 'class="error"' in html
    assert f"{escape(body)}</textarea>" in html
    assert not Comment.objects.exists()


def test_edit_to_nothing_is_refused(client, member, story):
    comment = CommentFactory(story=story, author=member, body="Something")
    client.force_login(member)
    response = client.post(reverse("comments:edit", args=[comment.pk]), {"body": "\u200b \u200b"})
    assert "an empty comment can" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Something"


def test_a_comment_is_sanitized_once_for_its_check_and_its_html(
    member, published_story, monkeypatch
):
    """The check that a comment shows anything reads the HTML that is stored: the
    sanitizer (bleach, the costliest step of a post) runs once a post, not twice."""
    calls = []
    real = services.sanitize_comment

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(services, "sanitize_comment", counting)
    comment = services.comment_create(
        author=member, story=published_story, body="See https://example.org/ <b>now</b>"
    )
    assert len(calls) == 1
    assert comment.body_html == real("See https://example.org/ <b>now</b>")
    services.comment_edit(comment=comment, editor=member, body="Edited: still here")
    assert len(calls) == 2
