"""A story's comment thread, rendered once and shared by every viewer.

Rendering a long thread is most of a signed-in member's story page: 0.1 to 0.2 ms a
comment, 300 ms for 2,000 comments (bench/README.md). So the thread's HTML is rendered
without anything that depends on who is looking, kept per story and time zone (dates
are shown in the viewer's) for READER_PAGE_CACHE_SECONDS under the page generation of
``care2.pagecache`` (every comment write bumps it after commit), and each request only
fills the slots left in it: the "new since your visit" marks and the action links
(reply, edit, delete, remove, report), from a few facts kept per comment.

Slots are ``NUL kind pk NUL``: no stored text can hold a NUL (PostgreSQL's text refuses
it and Django's form fields reject it), so a comment can never forge one.
"""

import datetime
import re
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from care2.pagecache import generation
from comments import selectors

SLOT = re.compile("\x00([nba])([0-9]+)\x00")
NEW_BADGE = '<span class="badge badge-new" data-testid="new-badge">New</span> '

_SENTINEL = 987654321


class Entry(NamedTuple):
    """What the slots of one shown comment depend on (a tuple: quick to unpickle)."""

    pk: int
    author_id: int
    created_at: datetime.datetime
    visible: bool


@dataclass(frozen=True, slots=True)
class Fragment:
    html: str  # the thread's <article>s, with slots
    entries: tuple[Entry, ...]  # in thread order


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading, as far as the thread's slots care."""

    pk: int | None = None
    can_comment: bool = False
    moderator: bool = False
    suspended: bool = False
    since: datetime.datetime | None = None  # their previous visit: later comments are new
    edit_cutoff: datetime.datetime | None = None  # their comments since then are editable


@dataclass(frozen=True, slots=True)
class Thread:
    html: SafeString
    count: int  # comments shown (placeholders of deleted ones included)
    new_count: int
    first_new: int | None  # pk of the first new comment


def url_pattern(name: str) -> tuple[str, str]:
    """The URL of ``name`` for any pk, as the text before and after the pk: one
    ``reverse()`` per kind of link instead of one per comment."""
    before, after = reverse(name, args=[_SENTINEL]).split(str(_SENTINEL))
    return before, after


#: Part of the cache key: bump it when the cached shape or the template's slots change,
#: so a deploy never reads what older code wrote.
FORMAT = 1


def thread_fragment(story) -> Fragment:
    """The story's thread with slots: from the cache, or rendered (one query)."""
    timeout = settings.READER_PAGE_CACHE_SECONDS
    if timeout <= 0:
        return _render(story)
    zone = timezone.get_current_timezone_name()
    key = f"comments:thread:{FORMAT}:{generation()}:{story.pk}:{zone}"
    fragment = _load(cache.get(key))
    if fragment is None:
        fragment = _render(story)
        # Plain str, ints, datetimes and tuples only: no class of ours is pickled.
        cache.set(key, (str(fragment.html), tuple(map(tuple, fragment.entries))), timeout)
    return fragment


def _load(cached) -> Fragment | None:
    try:
        html, entries = cached
        return Fragment(html=html, entries=tuple(map(Entry._make, entries)))
    except (TypeError, ValueError):  # nothing cached, or not in this shape
        return None


def _render(story) -> Fragment:
    thread = selectors.story_thread(story=story)
    for comment in thread:
        comment.slot_new_class = f"\x00n{comment.pk}\x00"
        comment.slot_new_badge = f"\x00b{comment.pk}\x00"
        comment.slot_actions = f"\x00a{comment.pk}\x00"
    html = render_to_string(
        "comments/_thread_items.html",
        {"thread": thread, "story_url": story.get_absolute_url()},
    )
    entries = tuple(
        Entry(pk=c.pk, author_id=c.author_id, created_at=c.created_at, visible=c.is_visible)
        for c in thread
    )
    return Fragment(html=html, entries=entries)


def personalize(fragment: Fragment, viewer: Viewer) -> Thread:
    """The thread as ``viewer`` sees it: their new marks and their action links."""
    since = viewer.since
    new = (
        {
            e.pk
            for e in fragment.entries
            if e.visible and e.author_id != viewer.pk and e.created_at > since
        }
        if since is not None
        else set()
    )
    by_pk = {e.pk: e for e in fragment.entries}
    links = _Links(viewer)

    def fill(match: re.Match) -> str:
        kind, pk = match.group(1), int(match.group(2))
        if kind == "a":
            return links.for_entry(by_pk[pk])
        if pk not in new:
            return ""
        return " comment-new" if kind == "n" else NEW_BADGE

    html = SLOT.sub(fill, fragment.html)
    first_new = next((e.pk for e in fragment.entries if e.pk in new), None)
    return Thread(
        html=mark_safe(html),  # noqa: S308 - our own rendered template, slots filled by us
        count=len(fragment.entries),
        new_count=len(new),
        first_new=first_new,
    )


class _Links:
    """The action links under a visible comment, as the viewer may use them."""

    def __init__(self, viewer: Viewer):
        self.viewer = viewer
        self.reply = url_pattern("comments:reply")
        self.edit = url_pattern("comments:edit")
        self.delete = url_pattern("comments:delete")
        self.remove = url_pattern("comments:remove")
        self.report = url_pattern("comments:report")

    def for_entry(self, entry: Entry) -> str:
        viewer, pk = self.viewer, entry.pk
        own = viewer.pk is not None and entry.author_id == viewer.pk and entry.visible
        parts = []
        if viewer.can_comment:
            parts.append(f'<a href="{self.reply[0]}{pk}{self.reply[1]}" class="js-reply">Reply</a>')
        if own and viewer.edit_cutoff is not None and entry.created_at >= viewer.edit_cutoff:
            parts.append(f'<a href="{self.edit[0]}{pk}{self.edit[1]}">Edit</a>')
        if own:
            parts.append(f'<a href="{self.delete[0]}{pk}{self.delete[1]}">Delete</a>')
        if viewer.moderator and entry.visible:
            parts.append(f'<a href="{self.remove[0]}{pk}{self.remove[1]}">Remove</a>')
        if entry.visible and not own and not viewer.suspended:
            parts.append(
                f'<a href="{self.report[0]}{pk}{self.report[1]}" class="report-link"'
                ' rel="nofollow">Report</a>'
            )
        return "\n              ".join(parts)
