"""Site-wide views: our own error pages and the rate-limit page."""

import sys

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """handler500: Django calls it while handling the exception (``sys.exc_info()``).

    A database outage raised outside a view (a middleware reading the session or the
    member) gets the 503 page, not a 500. The 500 page itself is rendered without
    context processors, so that it never queries either.
    """
    from care2.middleware import database_unavailable_response, is_database_outage

    exception = sys.exc_info()[1]
    if is_database_outage(exception):
        return database_unavailable_response(exception)
    return HttpResponseServerError(render_to_string("500.html"))


def ratelimited(request, exception=None):
    return render(request, "429.html", status=429)


def healthz(request):
    """For load balancers: 200 when the database and the cache/broker answer, else 503."""
    from django.core.cache import cache
    from django.db import connection
    from django.http import JsonResponse

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"error: {error.__class__.__name__}"
    from care2.celery import app as celery_app

    if celery_app.conf.task_always_eager:
        checks["broker"] = "ok"  # no broker: tasks run in the web process
    else:
        try:
            _ping_broker(celery_app)
            checks["broker"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["broker"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@never_cache
def readyz(request):
    """For the load balancer's readiness check: 200 while this node reaches every
    database it reads or writes (the primary and each replica), 503 while it cannot, so
    the balancer sends its traffic to the other nodes until it can again.

    The cache is reported but does not fail the check: with Redis down every node
    degrades to cache misses and still serves (care2.cache.ResilientRedisCache), and
    taking them all out of the balancer would turn that into an outage.
    """
    from django.core.cache import cache
    from django.db import connections
    from django.http import JsonResponse

    checks = {}
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[f"database:{alias}"] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            # Django closes the broken connection when the request finishes; the next
            # check connects afresh.
            checks[f"database:{alias}"] = f"error: {error.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    try:
        cache.set("readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("readyz") == "1" else "degraded"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"degraded: {error.__class__.__name__}"
    return JsonResponse(
        {"status": "ok" if ready else "error", **checks}, status=200 if ready else 503
    )


def _ping_broker(celery_app) -> None:
    """Raises unless the broker answers. Uses a pooled connection, so a load balancer
    polling /healthz does not open a new broker connection on every call (bench/)."""
    with celery_app.pool.acquire(block=True, timeout=1) as conn:
        try:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=1)
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()  # Redis: a pooled connection may have gone stale
        except Exception:
            conn.collect()  # drop the dead connection: the next check reconnects
            raise


def robots_txt(request):
    """Crawlers may read stories and petitions, not accounts, settings or the admin."""
    from django.http import HttpResponse

    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /settings/",
        "Disallow: /members/inbox/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
