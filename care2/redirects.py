"""Where a form may send the member next (``next=``): only to a path on this site."""

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, target: str | None) -> str | None:
    """``target`` when it is a path on this site ("/..."), else None.

    Never another host (``//evil.example``, ``/\\evil.example``, ``https://…``), and never
    a bare word, which ``django.shortcuts.redirect()`` would try to reverse as a view
    name (a 500 for ``next=0``).
    """
    if not target or not target.startswith("/"):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


def redirect_next(request, target: str | None, fallback) -> HttpResponseRedirect:
    """Redirect to ``target`` when it is safe (``safe_next``), else to ``fallback``
    (an HttpResponse, typically ``redirect(something)``)."""
    target = safe_next(request, target)
    return HttpResponseRedirect(target) if target else fallback
