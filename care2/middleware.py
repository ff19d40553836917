import functools
import ipaddress
import logging

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from python_ipware import IpWare
from python_ipware.modern.parsers import split_proxy_chain

logger = logging.getLogger(__name__)

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


@functools.lru_cache(maxsize=8)
def _networks(networks: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def forwarded_client(meta) -> str | None:
    """The client's address from ``X-Forwarded-For``, as far as our own proxies vouch for
    it; None when the header is not to be believed (no trusted proxy configured, a peer
    outside ``TRUSTED_PROXY_NETWORKS``, fewer hops than ``TRUSTED_PROXY_COUNT``).

    The chain is the header followed by the peer (``REMOTE_ADDR``, the nearest proxy).
    Each proxy appends the address it saw, so entries are read from the right: what a
    client writes itself is always on the left of what our proxies appended, and is
    never taken. Parsing (ports, brackets, IPv6, junk tokens) is python-ipware's.
    """
    header = meta.get(FORWARDED_FOR, "")
    peer = meta.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    networks = settings.TRUSTED_PROXY_NETWORKS
    if not header or not peer or not (count or networks):
        return None
    chain_header = f"{header}, {peer}"
    if networks:
        chain = split_proxy_chain(chain_header)
        trusted = _networks(tuple(networks))

        def ours(ip) -> bool:
            return any(ip.version == net.version and ip in net for net in trusted)

        if not chain or not ours(chain[-1]):
            return None  # the request did not come through our proxies
        while len(chain) > 1 and ours(chain[-1]):
            chain.pop()
        return str(chain[-1])
    # Non-strict: a junk token the client wrote on the left is skipped, and a chain with
    # fewer hops than proxies (a request that bypassed one) is not believed.
    ip, _ = IpWare(precedence=(FORWARDED_FOR,), proxy_count=count).get_client_ip(
        {FORWARDED_FOR: chain_header}, strict=False
    )
    return str(ip) if ip is not None else None


class TrustedProxyMiddleware:
    """Behind the site's own proxies, ``REMOTE_ADDR`` becomes the client's address.

    Everything that keys on the client (django-ratelimit's ``key="ip"``, allauth's
    log-in limits, ``Signature.ip``, the request log) reads ``REMOTE_ADDR``, so setting
    it once here makes them all agree. With neither ``TRUSTED_PROXY_COUNT`` nor
    ``TRUSTED_PROXY_NETWORKS`` set the header is ignored: a client reaching the site
    directly cannot choose its own address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client = forwarded_client(request.META)
        if client is not None:
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


def is_database_outage(exception: BaseException | None) -> bool:
    """True for a database that cannot be reached (or went away mid-request), also when
    the error was re-raised as another exception."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def database_unavailable_response(exception: BaseException) -> HttpResponse:
    """Our 503 page with ``Retry-After``. Rendered without a request, so no context
    processor runs: nothing on it touches the database. A POST is refused whole (nothing
    half-saved: every write is one transaction) and the browser keeps what was typed."""
    logger.warning("database unavailable: %s", exception)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    """When PostgreSQL is down or restarting, answer with our own 503 page instead of a
    500; connections are re-checked on the next request (CONN_HEALTH_CHECKS), so the
    site recovers by itself.

    This catches errors raised in views. Middleware that reads ``request.user`` (the
    session, then the member: the time zone, suspensions) fails before any view runs;
    Django turns that into a call of ``handler500``, and ``care2.views.server_error``
    answers the same 503 for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_outage(exception):
            return database_unavailable_response(exception)
        return None
