"""care2.postgresql: Django's health check without its ``SELECT 1`` while the kept
connection is idle and shows nothing from the server, and with it otherwise."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql import base

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def select_1_calls(monkeypatch):
    """Each time the check falls back to Django's own (the ``SELECT 1``)."""
    calls = []
    original = base.DatabaseWrapper.is_usable

    def counted(self):
        calls.append(self.alias)
        return original(self)

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", counted)
    return calls


def test_every_postgresql_database_uses_the_backend():
    for alias, config in settings.DATABASES.items():
        assert config["ENGINE"] == "care2.postgresql", alias
        assert config["CONN_HEALTH_CHECKS"], alias


def test_an_idle_connection_is_usable_without_a_query(select_1_calls):
    connection.ensure_connection()
    assert connection.is_usable()
    assert select_1_calls == []


def test_a_connection_the_server_closed_is_not_usable(select_1_calls):
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    dsn = connection.connection.info.dsn
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the termination notice reaches the socket
        if not connection.is_usable():
            break
        time.sleep(0.05)
    assert not connection.is_usable()
    assert select_1_calls  # what the socket showed was checked with a query
    connection.close()
    connection.ensure_connection()
    assert connection.is_usable()


def test_inside_a_transaction_the_check_asks_the_server(select_1_calls):
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert connection.is_usable()
        assert select_1_calls == ["default"]
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_the_check_runs_once_per_request_as_before(client, select_1_calls):
    # A kept connection, two requests: no SELECT 1 for either.
    connection.ensure_connection()
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    assert select_1_calls == []
