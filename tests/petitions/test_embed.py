"""The "Put this petition on your site" code: what a site owner copies is safe HTML."""

import html
import re
from html.parser import HTMLParser

import pytest

from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = 'Save the bees now" onload="alert(document.cookie)" x="'


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def copied_code(page_html: str) -> str:
    """The text of the embed textarea as a browser gives it to the clipboard: a textarea's
    content is decoded once (character references become characters)."""
    inner = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page_html, re.S)
    return html.unescape(inner.group(1))


@pytest.mark.parametrize("title", [HOSTILE_TITLE, "Bees & wasps <b>now</b> 'please'"])
def test_copied_embed_code_keeps_the_title_inside_its_attribute(client, category, title):
    petition = PetitionFactory(title=title, category=category)
    code = copied_code(client.get(petition.get_absolute_url()).content.decode())
    parser = _Tags()
    parser.feed(code)
    assert [tag for tag, _ in parser.tags] == ["iframe"]
    attrs = parser.tags[0][1]
    assert set(attrs) == {"src", "width", "height", "title", "loading"}
    assert attrs["title"] == title
    assert attrs["src"] == f"http://testserver/petitions/{petition.pk}/embed/"
