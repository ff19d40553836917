"""Read replicas: reads on a replica, writes and transactions on the primary, and a client
pinned to the primary for a window after its own write.

The replica here is the primary's test database seen through a second connection
(``TEST: {"MIRROR": "default"}``), so that which connection each query went through
shows where the router sent it. The tests commit for real (``transaction=True``): a
second connection sees only committed rows, like a replica.
"""

import json

import multidb
import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from multidb.pinning import pin_this_thread, this_thread_is_pinned, unpin_this_thread

from comments.models import Comment
from stories.models import Story
from tests.factories import StoryFactory, UserFactory
from tests.subprocess_django import django_python

REPLICA = "replica1"
PIN_COOKIE = "multidb_pin_writes"


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker):
    """The alias, for this module's tests only: registered before each test's database
    set-up (which checks the aliases a test may use), removed after the module."""
    primary = connections["default"].settings_dict
    connections.settings[REPLICA] = {
        **primary,
        "TEST": {**primary["TEST"], "MIRROR": "default"},
    }
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(settings):
    """What settings.py does with ``DATABASE_REPLICA_URLS`` set, on the test database."""
    settings.REPLICA_DATABASES = [REPLICA]
    settings.DATABASE_ROUTERS = ["care2.db_router.PinningReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("care2.middleware.TrustedProxyMiddleware") + 1,
        "multidb.middleware.PinningRouterMiddleware",
    )
    settings.MIDDLEWARE = middleware
    multidb.replicas = None  # multidb caches its replica list
    unpin_this_thread()
    yield REPLICA
    unpin_this_thread()
    multidb.replicas = None


WITH_REPLICA = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


class Queries:
    """Queries run on the primary and on the replica while the block runs."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @property
    def on_primary(self) -> int:
        return len(self.primary.captured_queries)

    @property
    def on_replica(self) -> int:
        return len(self.replica.captured_queries)


def test_settings_turn_replicas_on_from_database_replica_urls():
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps({'aliases': list(s.DATABASES),"
        " 'mirrors': [s.DATABASES[a].get('TEST', {}).get('MIRROR') for a in s.REPLICA_DATABASES],"
        " 'hosts': [s.DATABASES[a]['HOST'] for a in s.REPLICA_DATABASES],"
        " 'replicas': s.REPLICA_DATABASES, 'routers': s.DATABASE_ROUTERS,"
        " 'middleware': s.MIDDLEWARE[:3], 'pin': s.MULTIDB_PINNING_SECONDS,"
        " 'cursors': [c.get('DISABLE_SERVER_SIDE_CURSORS', False) for c in s.DATABASES.values()],"
        " 'prepares': [s.DATABASES[a]['OPTIONS']['prepare_threshold'] for a in s.REPLICA_DATABASES]}))"
    )
    on = json.loads(
        django_python(
            code,
            DATABASE_REPLICA_URLS="postgres://care2@replica-a:6432/care2, postgres://care2@replica-b/care2",
            DATABASE_PIN_SECONDS="20",
            DB_DISABLE_SERVER_SIDE_CURSORS="1",
        )
    )
    assert on["aliases"] == ["default", "replica1", "replica2"]
    assert on["replicas"] == ["replica1", "replica2"]
    assert on["hosts"] == ["replica-a", "replica-b"]
    assert on["mirrors"] == ["default", "default"]
    assert on["routers"] == ["care2.db_router.PinningReplicaRouter"]
    # Pinned before anything reads the session or the member.
    assert on["middleware"][:2] == [
        "care2.middleware.TrustedProxyMiddleware",
        "multidb.middleware.PinningRouterMiddleware",
    ]
    assert on["pin"] == 20
    # Behind PgBouncer's transaction pooling, on the primary and on every replica.
    assert on["cursors"] == [True, True, True]
    assert on["prepares"] == [None, None]  # no prepared statements either

    off = json.loads(
        django_python(
            code,
            DATABASE_REPLICA_URLS="",
            DATABASE_PIN_SECONDS="",
            DB_DISABLE_SERVER_SIDE_CURSORS="",
        )
    )
    assert off["aliases"] == ["default"]
    assert off["replicas"] == [] and off["routers"] == []
    assert "multidb.middleware.PinningRouterMiddleware" not in off["middleware"]
    assert off["pin"] == 15
    assert off["cursors"] == [False]


@WITH_REPLICA
def test_a_read_outside_a_transaction_goes_to_a_replica(replica):
    story = StoryFactory(published=True, title="Read me from the replica")

    with Queries() as queries:
        titles = list(Story.objects.filter(pk=story.pk).values_list("title", flat=True))

    assert titles == ["Read me from the replica"]
    assert queries.on_replica == 1
    assert queries.on_primary == 0


@WITH_REPLICA
def test_writes_and_every_read_inside_a_transaction_go_to_the_primary(replica):
    story = StoryFactory(published=True)

    with Queries() as queries:
        Story.objects.filter(pk=story.pk).update(title="Written on the primary")
    assert (queries.on_primary, queries.on_replica) == (1, 0)

    with Queries() as queries, transaction.atomic():
        locked = Story.objects.select_for_update().get(pk=story.pk)
        Story.objects.filter(pk=story.pk).update(title="Changed in the transaction")
        # The transaction's own write is visible: the read is on its connection.
        assert Story.objects.get(pk=story.pk).title == "Changed in the transaction"
        assert Story.objects.filter(title__startswith="Changed").count() == 1
    assert locked.pk == story.pk
    assert queries.on_replica == 0
    assert queries.on_primary >= 4


@WITH_REPLICA
def test_a_member_is_pinned_to_the_primary_for_the_window_after_their_comment(replica, settings):
    story = StoryFactory(published=True)
    member = UserFactory(first_name="Beth", last_name="Summers")
    browser = Client()
    browser.force_login(member)

    with Queries() as queries:
        response = browser.post(
            reverse("comments:add", args=[story.pk]), {"body": "Seen at once by its author"}
        )
    assert response.status_code == 302
    assert Comment.objects.filter(story=story, body__contains="Seen at once").exists()
    # The POST ran on the primary, and set the pin for the window.
    assert queries.on_replica == 0
    cookie = response.cookies[PIN_COOKIE]
    assert int(cookie["max-age"]) == settings.MULTIDB_PINNING_SECONDS == 15
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    # The next page, maybe served by another thread or node: every read on the primary.
    unpin_this_thread()
    with Queries() as queries:
        page = browser.get(story.get_absolute_url())
    assert page.status_code == 200
    assert "Seen at once by its author" in page.content.decode()
    assert queries.on_replica == 0
    assert queries.on_primary > 0

    # Once the cookie has expired, the member's reads go to the replica again.
    del browser.cookies[PIN_COOKIE]
    with Queries() as queries:
        page = browser.get(story.get_absolute_url())
    assert page.status_code == 200
    assert PIN_COOKIE not in page.cookies
    assert queries.on_replica > 0
    assert queries.on_primary == 0

    # A reader who never wrote reads from the replica.
    with Queries() as queries:
        page = Client().get(story.get_absolute_url())
    assert page.status_code == 200
    assert queries.on_replica > 0
    assert queries.on_primary == 0


@WITH_REPLICA
def test_celery_tasks_read_from_the_primary(replica):
    from comments.services import comment_create
    from comments.tasks import comment_notify_task

    story = StoryFactory(published=True)
    comment = comment_create(author=UserFactory(), story=story, body="Fan me out")

    unpin_this_thread()
    with Queries() as queries:
        comment_notify_task.apply(args=[comment.pk])
    assert queries.on_replica == 0
    assert queries.on_primary > 0
    # The task's pin ends with it...
    assert not this_thread_is_pinned()
    # ...and leaves a request's own pin (an eager task inside a POST) in place.
    pin_this_thread()
    comment_notify_task.apply(args=[comment.pk])
    assert this_thread_is_pinned()


@WITH_REPLICA
def test_readyz_is_503_while_a_replica_cannot_be_reached(replica, client):
    """The node's reads go to the replica: without it the node is not ready."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    assert client.get("/readyz").json()[f"database:{REPLICA}"] == "ok"
    standby = connections[REPLICA]
    saved = standby.settings_dict["PORT"]
    standby.close()
    standby.settings_dict["PORT"] = closed_port
    try:
        response = client.get("/readyz")
    finally:
        standby.close()
        standby.settings_dict["PORT"] = saved

    assert response.status_code == 503
    assert response.json()["database:default"] == "ok"
    assert response.json()[f"database:{REPLICA}"] == "error: OperationalError"
