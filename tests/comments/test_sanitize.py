"""What the sanitizer keeps (test_xss.py is what it refuses): typed links with their
title, mailto, line breaks; and markup declarations shown as text, not swallowed."""

import pytest

from care2.sanitize import sanitize_comment


@pytest.mark.parametrize(
    "typed,html",
    [
        (
            '<a href="https://river.example/report" title="The report">report</a>',
            '<a href="https://river.example/report" title="The report" '
            'rel="nofollow ugc noopener">report</a>',
        ),
        (
            '<a href="mailto:editor@river.example">write</a>',
            '<a href="mailto:editor@river.example" rel="nofollow ugc noopener">write</a>',
        ),
        ('<a href="/accounts/logout/">out</a>', '<a rel="nofollow ugc noopener">out</a>'),
        ('<a href="//evil.example/">x</a>', '<a rel="nofollow ugc noopener">x</a>'),
        ("first line\nsecond line", "first line\nsecond line"),
        ("<!-- a note -->seen", "&lt;!-- a note --&gt;seen"),
        ("<!DOCTYPE html>", "&lt;!DOCTYPE html&gt;"),
        ("<b>bold?</b>", "&lt;b&gt;bold?&lt;/b&gt;"),
    ],
)
def test_what_is_kept_and_what_is_shown_as_text(typed, html):
    assert sanitize_comment(typed) == html
