"""Whole-page cache for readers (anonymous GETs) with explicit invalidation.

Every write that changes what a reader sees calls ``pages_changed()`` (after commit);
it bumps one generation number that is part of every cache key, so all cached pages go
stale at once. Reads cost two cache round trips. A page is never cached when it carries
a CSRF token, a message, or a Set-Cookie, so no reader ever gets another's state.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "pagecache:generation"


def generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY) or 1
    return generation


def pages_changed() -> None:
    """Make every cached reader page stale, once the current transaction commits."""

    def bump():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, 2, timeout=None)

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
            from django.http import HttpResponse

            status, content_type, content = cached
            response = HttpResponse(content, status=status, content_type=content_type)
            response["X-Reader-Cache"] = "hit"
            return response
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
