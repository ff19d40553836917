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
from array import array
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from care2 import pagecache
from care2.db_router import filling_from_primary
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
    # While a shared member page renders (care2.pagecache): the slot for the "new since
    # your visit" line, which the request fills.
    new_since_slot: str = ""


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
        # Shared: read from the primary, never from a replica that may lack the write
        # that just moved the generation (care2.db_router.filling_from_primary).
        with filling_from_primary():
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
    """The thread as ``viewer`` sees it: their new marks and their action links.

    While a shared member page renders, the slots stay for the page to fill
    (``page_slots``), and the thread's entries are left in its notes."""
    notes = pagecache.BUILDING.get()
    if notes is not None:
        notes["thread"] = fragment.entries
        return Thread(
            html=mark_safe(fragment.html),  # noqa: S308 - our own rendered template
            count=len(fragment.entries),
            new_count=0,
            first_new=None,
            new_since_slot=mark_safe("\x00pnewsince\x00"),  # noqa: S308 - a slot
        )
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


def _timestamps(entries) -> array:
    return array("d", (e.created_at.timestamp() for e in entries))


def page_notes(notes: dict) -> tuple | None:
    """What a shared page keeps about its thread: each comment's pk, author, time and
    whether it is shown, as flat arrays (quick to load from the cache)."""
    entries = notes.get("thread")
    if entries is None:
        return None
    return (
        array("q", (e.pk for e in entries)).tobytes(),
        array("q", (e.author_id or 0 for e in entries)).tobytes(),
        _timestamps(entries).tobytes(),
        bytes(e.visible for e in entries),
    )


def page_defaults(viewer: Viewer, notes: dict):
    """The slots' values for every member of ``viewer``'s shape (no comment their own,
    none new): what a shared page is kept with."""
    links = _Links(
        Viewer(
            can_comment=viewer.can_comment, moderator=viewer.moderator, suspended=viewer.suspended
        )
    )
    by_pk = {str(e.pk): e for e in notes.get("thread", ())}

    def default(kind: str, name: str) -> str:
        if kind == "a" and name in by_pk:
            return links.for_entry(by_pk[name])
        return ""

    return default


def page_slots(kept: tuple | None, viewer: Viewer) -> dict[str, str]:
    """The thread's slots that differ for ``viewer`` from their shape's: the links under
    their own comments, the marks on comments new to them, the "new since" line."""
    if kept is None:
        return {}
    pks, authors, times, visible = (
        array("q", kept[0]),
        array("q", kept[1]),
        array("d", kept[2]),
        kept[3],
    )
    values: dict[str, str] = {}
    me = viewer.pk
    if me is not None and me in authors:
        links = _Links(viewer)
        for index, author in enumerate(authors):
            if author == me:
                entry = Entry(
                    pk=pks[index],
                    author_id=me,
                    created_at=datetime.datetime.fromtimestamp(times[index], datetime.UTC),
                    visible=bool(visible[index]),
                )
                values[f"a{entry.pk}"] = links.for_entry(entry)
    first_new, new_count = None, 0
    if viewer.since is not None:
        since = viewer.since.timestamp()
        for index, moment in enumerate(times):
            if moment > since and visible[index] and authors[index] != me:
                pk = pks[index]
                values[f"n{pk}"] = " comment-new"
                values[f"b{pk}"] = NEW_BADGE
                new_count += 1
                if first_new is None:
                    first_new = pk
    if new_count:
        values["pnewsince"] = format_html(
            '<p class="new-since-visit" data-testid="new-since-visit"><span class="badge'
            ' badge-new">New</span> {} comment{} since your last visit. <a href="#comment-{}">'
            "Go to the first</a></p>",
            new_count,
            "" if new_count == 1 else "s",
            first_new,
        )
    return values


# --- The thread's part of a member's shared story page (care2.pagecache.PagePart) ----


def _viewer(request, story, since=None) -> Viewer:
    """The viewer as ``comments_tags.story_comments`` sees them."""
    from care2.users.services import user_has_verified_email
    from comments.services import can_moderate, edit_cutoff

    user = request.user
    suspended = user.is_suspended
    is_open = story.status == story.Status.PUBLISHED
    return Viewer(
        pk=user.pk,
        can_comment=is_open and not suspended and user_has_verified_email(user),
        moderator=can_moderate(user),
        suspended=suspended,
        since=since,
        edit_cutoff=edit_cutoff(),
    )


def story_part_shape(request, story) -> tuple:
    """What the story page's comment section depends on beyond the thread: tracking,
    may comment, may moderate, suspended, e-mail copies on."""
    viewer = _viewer(request, story)
    tracking = getattr(story, "is_tracking", None)  # from the story's query (annotate)
    if tracking is None:
        tracking = selectors.is_tracking(member=request.user, story=story)
    return (
        tracking,
        viewer.can_comment,
        viewer.moderator,
        viewer.suspended,
        bool(request.user.email_on_tracked_comments),
    )


def story_part_default(request, story, notes):
    return page_defaults(_viewer(request, story), notes)


def story_part_values(request, story, kept, context) -> dict[str, str]:
    return page_slots(kept, _viewer(request, story, since=context.get("last_visit")))


def story_part_annotate(user) -> dict:
    from comments.models import Tracking
    from stories.selectors import of_member

    return {
        "is_tracking": of_member("EXISTS (SELECT 1 FROM {t} WHERE {s} AND {m})", Tracking, user)
    }


def register_story_part() -> None:
    pagecache.register_part(
        "story",
        pagecache.PagePart(
            shape=story_part_shape,
            default=story_part_default,
            extra=page_notes,
            values=story_part_values,
            annotate=story_part_annotate,
        ),
    )
