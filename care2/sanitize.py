"""Text members write (comments, petitions and their updates) to safe HTML: the one
module that imports bleach. It sits in the bottom layer so that comments and petitions,
which may not import each other, share one set of rules.

Run once, when the text is saved; pages show the stored result as it is. The rules:
plain text with line breaks kept (the page shows the stored
newlines with ``white-space: pre-line``, so no ``<br>`` is added); bare URLs become
links; ``<a href title>`` is the only markup kept, ``href`` only with http, https or
mailto; every link gets ``rel="nofollow ugc noopener"``; any other tag is escaped and
so shown as text, never executed, and so are comments (``<!-- -->``); attributes
other than href and title are dropped.
"""

import re
import threading
import unicodedata
from functools import partial
from html.parser import HTMLParser

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset({"a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# C0 controls other than tab and newline, DEL, and the C1 controls: never useful in a
# comment, and a classic way to hide "javascript:" from naive filters.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


_ABSOLUTE_HREF = re.compile(r"^(https?://[^/\s]|mailto:)", re.IGNORECASE)


def _link_attrs(attrs, new=False):
    """Every link: rel set, and an href only if absolute http(s) or mailto (bleach lets
    relative and scheme-relative "//host" links through; we do not)."""
    href = attrs.get((None, "href"))
    if href is not None and not _ABSOLUTE_HREF.match(href):
        del attrs[(None, "href")]
    attrs[(None, "rel")] = LINK_REL
    return attrs


# bleach's Cleaner keeps parser state: one per thread (Celery and the dev server use
# threads).
_local = threading.local()


def _cleaner() -> bleach.sanitizer.Cleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = bleach.sanitizer.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=False,
            strip_comments=True,
            # Runs after sanitizing: links bare URLs and gives every link its rel.
            filters=[partial(LinkifyFilter, callbacks=[_link_attrs], parse_email=False)],
        )
    return cleaner


def normalize_text(text: str) -> str:
    """The text we keep: Unix line ends, no control characters, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", text).strip()


# "<!" opens a comment, a doctype or CDATA: the parser would swallow what follows it
# (bleach drops comments), so it is escaped first and the words show as typed.
_MARKUP_DECLARATION = re.compile(r"<(?=!)")


def sanitize_comment(text: str) -> str:
    """The HTML a page may show for a comment typed as ``text``."""
    return _cleaner().clean(_MARKUP_DECLARATION.sub("&lt;", normalize_text(text)))


# Characters that draw nothing on their own beyond the Unicode categories below: the
# Hangul fillers and the blank Braille pattern (letters and symbols, but blank glyphs).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
# Separators (spaces, line and paragraph separators), controls, format characters
# (zero-width space and joiners, the BOM, bidi marks), combining marks with no base,
# unassigned code points and surrogates.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Cs", "Mn", "Me"})


def _is_visible(character: str) -> bool:
    return not (
        character.isspace()
        or character in _BLANK_CHARACTERS
        or unicodedata.category(character) in _INVISIBLE_CATEGORIES
    )


def has_visible_text(text: str) -> bool:
    """Whether ``text`` shows anything once rendered as the story page renders it: a
    comment of only spaces, zero-width or direction characters, or links with no text,
    shows nothing and is refused. Other markup is shown as typed, so ``<b></b>`` counts."""
    return html_has_visible_text(sanitize_comment(text))


def html_has_visible_text(comment_html: str) -> bool:
    """``has_visible_text`` of the text that ``comment_html`` (``sanitize_comment``'s
    answer) was made from."""
    shown = comment_text(comment_html, urls=False)
    return any(_is_visible(character) for character in shown)


class _TextExtractor(HTMLParser):
    """The text of sanitized comment HTML (only ``<a>`` tags, the rest escaped)."""

    def __init__(self, *, urls: bool):
        super().__init__(convert_charrefs=True)
        self.urls = urls
        self.parts: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = []

    def handle_endtag(self, tag):
        if tag != "a" or self.href is None:
            return
        text, href = "".join(self.link_text), self.href
        self.href = None
        shown = text.strip()
        bare = href.split("://", 1)[-1].removeprefix("mailto:")
        if not self.urls or not href:
            self.parts.append(text)
        elif not shown or shown in (href, bare):
            # A bare URL (or address) the sanitizer linked: the URL itself, whole.
            self.parts.append(shown if href.startswith("mailto:") and shown else href)
        else:
            self.parts.append(f"{text} ({href})")

    def handle_data(self, data):
        (self.link_text if self.href is not None else self.parts).append(data)


def comment_text(comment_html: str, *, urls: bool = True) -> str:
    """Plain text of a comment's sanitized HTML (``Comment.body_html``), for places that
    show no markup: e-mails and inbox messages (``urls``: a link becomes "text (url)",
    a linked bare URL the URL) and excerpts inside another link (``urls=False``: the
    link's text only)."""
    parser = _TextExtractor(urls=urls)
    parser.feed(comment_html)
    parser.close()
    if parser.href is not None:  # an unclosed <a>: keep its text
        parser.parts.append("".join(parser.link_text))
    return "".join(parser.parts)
