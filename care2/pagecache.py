"""Whole-page cache for readers (anonymous GETs) and for members, with explicit
invalidation.

Every write that changes what a page shows calls ``pages_changed()`` (after commit);
it bumps one generation number that is part of every cache key, so all cached pages go
stale at once. Reads cost two cache round trips. A reader's page is never cached when it
carries a CSRF token, a message, or a Set-Cookie, so no reader ever gets another's state.
A member's page is shared as a rendering with slots for the member's own parts
(``member_page``, below), filled per request.
"""

import contextvars
import hashlib
import re
import threading
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

from care2.db_router import filling_from_primary

GENERATION_KEY = "pagecache:generation"


def _first_generation() -> int:
    """Where the count starts when the cache has lost it (a restart, a flush): the clock
    in milliseconds, so a new count never repeats an old one, and a page a process kept
    under an old generation (``RECENT``) can never pass for a current one."""
    return int(time.time() * 1000)


def generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        first = _first_generation()
        cache.add(GENERATION_KEY, first, timeout=None)
        generation = cache.get(GENERATION_KEY) or first
    return generation


def request_generation(request) -> int:
    """The generation for this request: the one read with the member's cached record in
    the same round trip (``care2.users.facts.member``), else read now."""
    user = getattr(request, "user", None)
    prefetched = getattr(user, "_page_generation", None) if user is not None else None
    return prefetched if prefetched is not None else generation()


def pages_changed() -> None:
    """Make every cached page stale (readers' and members'), once the current
    transaction commits."""

    def bump():
        if hasattr(cache, "incr_or_start"):  # Redis: one round trip
            cache.incr_or_start(GENERATION_KEY, _first_generation())
            return
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, _first_generation(), timeout=None)

    transaction.on_commit(bump)


def _cacheable_request(request) -> bool:
    if request.method != "GET" or request.user.is_authenticated:
        return False
    if "messages" in request.COOKIES:
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.session_key and session.get("_messages"))


def cached_for_readers(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        timeout = settings.READER_PAGE_CACHE_SECONDS
        if timeout <= 0 or not _cacheable_request(request):
            return view(request, *args, **kwargs)
        digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        key = f"pagecache:{generation()}:{digest}"
        cached = cache.get(key)
        if cached is not None:
            status, content_type, content = cached
            response = HttpResponse(content, status=status, content_type=content_type)
            response["X-Reader-Cache"] = "hit"
            return response
        with filling_from_primary():
            response = view(request, *args, **kwargs)
        if (
            response.status_code in (200, 404)
            and not getattr(response, "streaming", False)
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            if hasattr(response, "render") and callable(response.render):
                response.render()
            cache.set(
                key, (response.status_code, response["Content-Type"], response.content), timeout
            )
            response["X-Reader-Cache"] = "miss"
        return response

    return wrapper


# --- Members' pages: rendered once per shape, the member's parts filled per request ----
#
# A member's page differs from another member's in a few places: the header (name, inbox
# count, balance), the CSRF token and one-time keys of its forms, and on the story page
# their own comments' links and the "new" marks. Everything else depends only on a few
# yes/no facts (may they act, are they staff, did they note this story, …): the page's
# *shape*. So the page is rendered once per generation, path, time zone and shape with a
# slot where each personal part goes (``NUL kind name NUL``: no stored text can hold a NUL,
# so no content can forge one), every slot is filled with its usual value for that shape,
# and the slots' places are kept beside the text. A request then replaces only its own
# parts (the header's few, its own comments', its new ones): a few slices, not a render.

SLOT = re.compile("\x00([a-z])([0-9a-z_]+)\x00")
CSRF_SLOT = "\x00pcsrf\x00"
NONCE_SLOT = "\x00pnonce\x00"


def slot_context() -> dict:
    """Context for rendering a shared member page: every ``{% csrf_token %}`` and script
    nonce becomes a slot (these override the context processors' values)."""
    return {"csrf_token": CSRF_SLOT, "csp_nonce": NONCE_SLOT}


# The comment form's one-time submission key, as its hidden input renders it.
_SUBMISSION_KEY = re.compile(r'(name="submission_key" value=")[0-9a-f-]{36}(")')

#: While a shared member page renders: a dict its parts may leave notes in (the thread's
#: comments, for the slots), and the sign for ``personal()`` to give slots.
BUILDING: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "pagecache_building", default=None
)

#: Part of the key of a member page: bump it when the cached shape or the slots change.
MEMBER_FORMAT = 2


def personal(request, name: str, value):
    """``value`` for this request, or the slot ``name`` while the shared page renders."""
    return f"\x00p{name}\x00" if BUILDING.get() is not None else value


def member_cacheable(request) -> bool:
    """A member's GET of a page with no message waiting (a message is shown once)."""
    if settings.READER_PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
        return False
    if not request.user.is_authenticated or "messages" in request.COOKIES:
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.get("_messages"))


class Compiled:
    """A rendered page (UTF-8 bytes) with every slot filled with its shape's usual value,
    and where each slot sits (``starts``, ``ends``, ``keys`` in page order)."""

    __slots__ = ("status", "content_type", "text", "starts", "ends", "keys", "extra", "_index")

    def __init__(self, status, content_type, text, starts, ends, keys, extra):
        self.status, self.content_type, self.text = status, content_type, text
        self.starts, self.ends, self.keys, self.extra = starts, ends, keys, extra
        self._index = None

    @classmethod
    def build(cls, response, default: Callable[[str, str], str], extra=None) -> "Compiled":
        html = _SUBMISSION_KEY.sub("\\1\x00pkey\x00\\2", response.content.decode())
        out, starts, ends, keys = [], array("q"), array("q"), []
        pos = length = 0
        for match in SLOT.finditer(html):
            piece = html[pos : match.start()].encode()
            out.append(piece)
            length += len(piece)
            value = default(match.group(1), match.group(2)).encode()
            out.append(value)
            starts.append(length)
            length += len(value)
            ends.append(length)
            keys.append(match.group(1) + match.group(2))
            pos = match.end()
        out.append(html[pos:].encode())
        return cls(
            response.status_code,
            response["Content-Type"],
            b"".join(out),
            starts,
            ends,
            keys,
            extra,
        )

    def dump(self) -> tuple:
        # Plain bytes, str and tuples only: no class of ours is pickled.
        return (
            MEMBER_FORMAT,
            self.status,
            self.content_type,
            self.text,
            self.starts.tobytes(),
            self.ends.tobytes(),
            "\x01".join(self.keys),
            self.extra,
        )

    @classmethod
    def load(cls, cached) -> "Compiled | None":
        try:
            fmt, status, content_type, text, starts, ends, keys, extra = cached
        except (TypeError, ValueError):
            return None
        if fmt != MEMBER_FORMAT:
            return None
        return cls(
            status,
            content_type,
            text,
            array("q", starts),
            array("q", ends),
            keys.split("\x01") if keys else [],
            extra,
        )

    def size(self) -> int:
        return len(self.text) + 24 * len(self.keys)

    def fill(self, values: dict[str, str]) -> bytes:
        """The page with the slots named in ``values`` replaced; the others keep their
        shape's value."""
        if self._index is None:
            index: dict[str, list[int]] = {}
            for number, key in enumerate(self.keys):
                index.setdefault(key, []).append(number)
            self._index = index
        index = self._index
        places = sorted(
            (number, value) for key, value in values.items() for number in index.get(key, ())
        )
        text, parts, pos = self.text, [], 0
        starts, ends = self.starts, self.ends
        for number, value in places:
            parts.append(text[pos : starts[number]])
            parts.append(value.encode())
            pos = ends[number]
        if not parts:
            return text
        parts.append(text[pos:])
        return b"".join(parts)


class _Recent:
    """The shared member pages this process served last, by cache key (which holds the
    generation, so a changed page has another key): a page with 2,000 comments is 2 MB,
    which is most of a request's time to fetch from Redis and load each time. Bounded in
    bytes; an entry is kept no longer than it would be in the cache."""

    def __init__(self, budget: int = 48 * 1024 * 1024):
        self.budget, self.used = budget, 0
        self.pages: OrderedDict[str, tuple[float, Compiled]] = OrderedDict()
        self.lock = threading.Lock()  # for threaded servers (runserver, gthread)

    def get(self, key: str) -> "Compiled | None":
        with self.lock:
            found = self.pages.get(key)
            if found is None:
                return None
            expires, compiled = found
            if expires < time.monotonic():
                self._drop(key)
                return None
            self.pages.move_to_end(key)
            return compiled

    def put(self, key: str, compiled: "Compiled", timeout: int) -> None:
        size = compiled.size()
        with self.lock:
            self._drop(key)
            if size > self.budget // 4:
                return
            self.pages[key] = (time.monotonic() + timeout, compiled)
            self.used += size
            while self.used > self.budget and self.pages:
                self._drop(next(iter(self.pages)))

    def _drop(self, key: str) -> None:
        found = self.pages.pop(key, None)
        if found is not None:
            self.used -= found[1].size()

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.used = 0


RECENT = _Recent()


def member_page(
    request,
    *,
    name: str,
    shape: tuple,
    render: Callable[[], HttpResponse],
    default: Callable[[dict], Callable[[str, str], str]] = lambda notes: lambda kind, name: "",
    personalize: Callable[["Compiled"], dict[str, str]],
    extra: Callable[[dict], object] = lambda notes: None,
    generations: tuple[int, ...] | None = None,
) -> HttpResponse:
    """The member's page ``name`` for ``shape``: from the cache, or rendered with slots
    (``render()`` runs with ``personal()`` giving slots) and kept; either way filled with
    ``personalize(compiled)`` and this request's CSRF token. ``generations``, when the
    page depends on more than the site's generation (a petition's own), are the ones
    its key holds instead (the caller read them with the site's, in one round trip)."""
    from django.middleware.csp import get_nonce
    from django.middleware.csrf import get_token
    from django.utils import timezone

    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    shape_key = hashlib.blake2b(repr(shape).encode(), digest_size=8).hexdigest()
    zone = timezone.get_current_timezone_name()
    stamp = ".".join(map(str, generations)) if generations else request_generation(request)
    key = f"pagecache:member:{MEMBER_FORMAT}:{stamp}:{name}:{digest}:{zone}:{shape_key}"
    timeout = settings.READER_PAGE_CACHE_SECONDS
    compiled = RECENT.get(key)
    state = "hit"
    if compiled is None:
        compiled = Compiled.load(cache.get(key))
        if compiled is not None:
            RECENT.put(key, compiled, timeout)
    if compiled is None:
        state = "miss"
        notes: dict = {}
        with filling_from_primary():
            token = BUILDING.set(notes)
            try:
                response = render()
                if hasattr(response, "render") and callable(response.render):
                    response.render()
            finally:
                BUILDING.reset(token)
            if getattr(response, "streaming", False):
                return response
            compiled = Compiled.build(response, default(notes), extra(notes))
        if response.status_code == 200 and not response.cookies:
            cache.set(key, compiled.dump(), timeout)
            RECENT.put(key, compiled, timeout)
    values = personalize(compiled)
    values["pcsrf"] = get_token(request)
    nonce = get_nonce(request)
    values["pnonce"] = str(nonce) if nonce is not None else ""
    if "pkey" not in values:
        values["pkey"] = str(uuid.uuid4())
    page = HttpResponse(
        compiled.fill(values), status=compiled.status, content_type=compiled.content_type
    )
    page["X-Member-Cache"] = state
    return page


class PagePart:
    """What an upper app's part of a lower app's page adds to that page's member cache
    (registered from its ``AppConfig.ready()``, like a panel): ``shape(request, obj)``
    the yes/no facts its part depends on; ``default(request, obj, notes)`` the usual
    value of its slots for that shape (a function of the slot's kind and name, or None);
    ``extra(notes)`` what to keep beside the page; ``values(request, obj, extra, context)``
    the request's own slot values; ``annotate(user)`` expressions the page's own query
    of ``obj`` adds, so that ``shape`` needs no query of its own."""

    def __init__(self, *, shape, default=None, extra=None, values=None, annotate=None):
        self.shape, self.default, self.extra, self.values = shape, default, extra, values
        self.annotate = annotate


PARTS: dict[str, list[PagePart]] = {}


def register_part(page: str, part: PagePart) -> None:
    PARTS.setdefault(page, []).append(part)


def member_page_with_parts(
    request, *, name: str, obj, shape: tuple, render, values, context=None
) -> HttpResponse:
    """``member_page`` with the parts upper apps registered for ``name``: their shapes
    join ``shape``, their defaults fill their slots, their values fill them per request."""
    parts = PARTS.get(name, [])
    full_shape = (shape, *(part.shape(request, obj) for part in parts))

    def default(notes):
        defaults = [
            d for part in parts if part.default and (d := part.default(request, obj, notes))
        ]

        def fill(kind, slot):
            for d in defaults:
                value = d(kind, slot)
                if value:
                    return value
            return ""

        return fill

    def extra(notes):
        return tuple(part.extra(notes) if part.extra else None for part in parts)

    def personalize(compiled):
        result = dict(values())
        for part, kept in zip(parts, compiled.extra or (), strict=False):
            if part.values:
                result.update(part.values(request, obj, kept, context or {}))
        return result

    return member_page(
        request,
        name=name,
        shape=full_shape,
        render=render,
        default=default,
        personalize=personalize,
        extra=extra,
    )
