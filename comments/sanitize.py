"""Comment text to safe HTML: the one module that imports bleach.

Run once, when a comment is saved; pages show the stored result as it is. The rules
(DESIGN.md section 4): plain text with line breaks kept (the page shows the stored
newlines with ``white-space: pre-line``, so no ``<br>`` is added); bare URLs become
links; ``<a href title>`` is the only markup kept, ``href`` only with http, https or
mailto; every link gets ``rel="nofollow ugc noopener"``; any other tag is escaped and
so shown as text, never executed, and so are comments (``<!-- -->``); attributes
other than href and title are dropped.
"""

import re
import threading
from functools import partial

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
