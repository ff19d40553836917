"""care2.postgresql: Django's health check without its ``SELECT 1`` while the kept
connection is idle and shows nothing from the server, and with it otherwise; the bound
cursor of the hottest statements, which the server prepares."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql import base

from stories.models import Story

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


# --- The bound cursor -----------------------------------------------------------------


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_hot_statement_is_prepared_once_run_often_and_others_never():
    from care2 import rows
    from stories.services import story_comment_count_add
    from tests.factories import StoryFactory

    story = StoryFactory(published=True)
    connection.close()  # a new connection: nothing prepared yet
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold == 2
    with rows.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)  # bound on the server
    for _ in range(threshold + 1):
        assert story_comment_count_add(story_id=story.pk, delta=1)
        assert list(Story.objects.filter(pk=story.pk).values_list("pk", flat=True))
    (prepared,) = prepared_statements()  # the ORM's query, bound on the client, is not
    assert prepared.startswith('UPDATE "stories_story" SET "comment_count"')
    story.refresh_from_db()
    assert story.comment_count == threshold + 1


def test_a_bound_statement_is_logged_and_counted_with_its_values(django_assert_num_queries):
    from care2 import rows

    with django_assert_num_queries(1) as queries, rows.cursor() as cursor:
        cursor.execute("SELECT %s::integer + %s::integer", [2, 40])
        assert cursor.fetchone() == (42,)
    assert queries.captured_queries[0]["sql"] == "SELECT 2::integer + 40::integer"


def test_database_errors_through_a_bound_cursor_are_djangos():
    from django.db import IntegrityError

    from care2 import rows
    from tests.factories import UserFactory

    member = UserFactory()
    with pytest.raises(IntegrityError), rows.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "users_user" (id) VALUES (%s)',  # a row the table refuses
            [member.pk],
        )
