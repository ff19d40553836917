"""/readyz, the load balancer's readiness check: 200 while the node reaches its
databases, 503 while it cannot; never cached. /healthz stays as it was."""

import socket

import pytest
from django.db import connections
from django.db.utils import OperationalError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_readyz_is_200_while_the_database_answers_and_is_never_cached(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):  # one SELECT 1 per database
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database:default": "ok", "cache": "ok"}
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "no-cache" in cache_control
    assert "max-age=0" in cache_control


def test_readyz_is_503_while_the_database_cannot_be_reached(client, django_db_blocker):
    """A real refused connection: the primary's address points at a closed port."""
    default = connections["default"]
    saved = default.settings_dict["PORT"]
    with django_db_blocker.unblock():
        default.close()
        default.settings_dict["PORT"] = _free_port()
        try:
            with pytest.raises(OperationalError):
                default.ensure_connection()
            response = client.get("/readyz")
        finally:
            default.close()
            default.settings_dict["PORT"] = saved

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database:default"] == "error: OperationalError"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_recovers_once_the_database_answers_again(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    with connections["default"].execute_wrapper(refuse):
        assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_stays_ready_while_redis_is_down(client, settings):
    """Every node degrades to cache misses and still serves: not a reason to leave the
    balancer (that would turn a Redis outage into a site outage)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "care2.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["cache"] == "degraded"


@pytest.mark.django_db
def test_readyz_is_not_redirected_to_https_behind_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/readyz").status_code == 200


def test_a_database_that_drops_packets_cannot_hang_a_request():
    from django.conf import settings

    for alias, config in settings.DATABASES.items():
        if config["ENGINE"] in ("django.db.backends.postgresql", "care2.postgresql"):
            assert config["OPTIONS"]["connect_timeout"] == 5, alias
