"""Per-request slots in a page rendered once and shared.

A page with a form carries a CSRF token, which differs per visitor: such a page cannot
be cached whole. Rendered with ``csrf_slot_context()``, every ``{% csrf_token %}`` in it
holds ``CSRF_SLOT`` instead of a token; ``fill_csrf_slot()`` puts the request's own token
there when the page is served (which also has the CSRF middleware set the cookie and
``Vary: Cookie``), so the same cached bytes serve every reader, each with their own token.

``CSRF_SLOT`` is made of letters and digits (the tag's escaping leaves it as it is) and
derived from ``SECRET_KEY``: no one who could type it into a page's text can know it.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac

from care2.db_router import filling_from_primary

CSRF_SLOT = (
    "csrfslot" + salted_hmac("care2.slots.csrf", "slot", algorithm="sha256").hexdigest()[:32]
)


def csrf_slot_context() -> dict:
    """Context that renders ``{% csrf_token %}`` as the slot (it overrides the token the
    built-in context processor would give)."""
    return {"csrf_token": CSRF_SLOT}


def fill_csrf_slot(request, response: HttpResponse) -> HttpResponse:
    """Put the request's CSRF token into the slots of ``response``. The page then differs
    per visitor: no shared cache may keep it, and it varies with the cookie."""
    content = response.content
    slot = CSRF_SLOT.encode()
    if slot in content:
        response.content = content.replace(slot, get_token(request).encode())
        patch_vary_headers(response, ("Cookie",))
        patch_cache_control(response, private=True)
    return response


def reader_page_key(prefix: str, request, *generations) -> str:
    """A cache key for a reader's page: the generations it depends on and its full path."""
    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return ":".join([prefix, *(str(g) for g in generations), digest])


def cached_reader_page(request, key: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The page under ``key`` from the cache, or ``render()`` (which must render with
    ``csrf_slot_context()``, and reads from the primary) kept there when it is a plain 200
    or 404 with no cookie of its own; either way with this request's CSRF token in its
    slots."""
    cached = cache.get(key)
    if cached is not None:
        status, content_type, content = cached
        response = HttpResponse(content, status=status, content_type=content_type)
        response["X-Reader-Cache"] = "hit"
        return fill_csrf_slot(request, response)
    with filling_from_primary():
        response = render()
        if hasattr(response, "render") and callable(response.render):
            response.render()
    if (
        response.status_code in (200, 404)
        and not getattr(response, "streaming", False)
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    ):
        cache.set(
            key,
            (response.status_code, response["Content-Type"], response.content),
            settings.READER_PAGE_CACHE_SECONDS,
        )
        response["X-Reader-Cache"] = "miss"
    return fill_csrf_slot(request, response)
