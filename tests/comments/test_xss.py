"""Nothing a member types can run as script: hundreds of XSS vectors posted through the
real comment form, checked on the parsed HTML of the rendered story page."""

import re
from html.parser import HTMLParser

import pytest

from care2.sanitize import has_visible_text, sanitize_comment
from comments.models import Comment
from tests.comments.xss_vectors import VECTORS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data):")


def _normalized_url(value: str) -> str:
    # What a browser does before reading a scheme: drop C0 controls and spaces
    # (leading/trailing, and tabs/newlines anywhere), compare case-insensitively.
    return re.sub(r"[\x00-\x20]", "", value).lower()


class CommentBodies(HTMLParser):
    """Collects every element inside a comment body, and every attribute on the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0: inside a div.comment-body
        self.bodies = 0
        self.elements_in_bodies = []
        self.all_attributes = []

    def handle_starttag(self, tag, attrs):
        self.all_attributes.extend((tag, name, value or "") for name, value in attrs)
        if self.depth:
            self.elements_in_bodies.append((tag, dict(attrs)))
            if tag == "div":
                self.depth += 1
        elif tag == "div" and "comment-body" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.bodies += 1

    def handle_startendtag(self, tag, attrs):
        self.all_attributes.extend((tag, name, value or "") for name, value in attrs)
        if self.depth:
            self.elements_in_bodies.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1


def test_at_least_200_vectors_from_every_family():
    assert len(VECTORS) >= 200
    joined = "\n".join(VECTORS)
    for marker in (
        "onerror",
        "javascript:",
        "data:",
        "vbscript:",
        "&#x",
        "<svg",
        "<math",
        "style=",
        "<!--",
        "CDATA",
    ):
        assert marker in joined


def test_vectors_posted_through_the_form_render_inert(client, published_story, settings):
    settings.COMMENT_RATE = "100000/m"
    client.force_login(UserFactory())
    url = f"/comments/story/{published_story.pk}/add/"
    refused = nul_refused = 0
    for vector in VECTORS:
        response = client.post(url, {"body": vector})
        if response.status_code != 302:
            # Only NUL characters (Django's form field) and text that would show as
            # nothing (invisible characters, links with no text) are refused outright;
            # the form comes back with the text as typed, escaped, and a message.
            if has_visible_text(vector):
                assert "\x00" in vector, vector
                assert "Null characters are not allowed" in response.content.decode()
                nul_refused += 1
            else:
                assert "an empty comment can" in response.content.decode()
            _assert_no_active_attributes(response.content.decode())
            refused += 1
    assert nul_refused < 5
    assert Comment.objects.filter(story=published_story).count() == len(VECTORS) - refused

    html = client.get(published_story.get_absolute_url()).content.decode()
    parser = CommentBodies()
    parser.feed(html)
    parser.close()
    assert parser.bodies == len(VECTORS) - refused
    for tag, attrs in parser.elements_in_bodies:
        assert tag == "a", (tag, attrs)
        assert set(attrs) <= {"href", "title", "rel"}, attrs
        assert attrs["rel"] == "nofollow ugc noopener"
        if "href" in attrs:
            assert re.match(r"^(https?://|mailto:)", attrs["href"], re.IGNORECASE), attrs
    _assert_no_active_attributes(html)


def _assert_no_active_attributes(html):
    parser = CommentBodies()
    parser.feed(html)
    parser.close()
    for tag, name, value in parser.all_attributes:
        assert not name.lower().startswith("on"), (tag, name, value)
        if name.lower() in {"href", "src", "action", "formaction", "data", "xlink:href"}:
            assert not DANGEROUS_URL.match(_normalized_url(value)), (tag, name, value)
    # Only our own scripts, loaded from files with the page's nonce.
    scripts = re.findall(r"<script[^>]*>", html, re.IGNORECASE)
    assert scripts and all(" src=" in s and "nonce=" in s for s in scripts), scripts


@pytest.mark.parametrize("vector", VECTORS[:40] + VECTORS[-40:])
def test_sanitizer_output_is_stable(vector):
    """Sanitizing the stored HTML's text again changes nothing dangerous (idempotent
    enough that editing a comment never unlocks markup)."""
    once = sanitize_comment(vector)
    assert "<script" not in once.lower()
    assert not re.search(r"<(?!a[\s>]|/a>)[a-z!/?]", once, re.IGNORECASE), once
