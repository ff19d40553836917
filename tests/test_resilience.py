"""Nothing is lost when a part fails: Redis stopped and restarted, a worker killed with
SIGKILL mid-task, database connections dropped. Real processes, on this machine only."""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from care2.celery import app as celery_app
from care2.models import OutboxMessage
from care2.outbox import outbox_sweep_task
from care2.users.models import Message
from comments.models import Comment
from tests.comments.factories import TrackingFactory
from tests.conftest import require_service
from tests.factories import StoryFactory, UserFactory
from tests.subprocess_django import stop_process, wait_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def postgres_database():
    """Real processes (workers, gunicorn) share the test database: PostgreSQL only."""
    require_service(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        "a PostgreSQL DATABASE_URL",
        "apt-get install postgresql, then make test (it sets DATABASE_URL)",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A real redis-server of the test's own, on its own port, stopped and started at will."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_process(tmp_path):
    require_service(
        shutil.which("redis-server") is not None,
        "redis-server on PATH",
        "apt-get install redis-server",
    )
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + django_settings.DATABASES["default"]["NAME"]))


class Worker:
    def __init__(self, broker_url, tmp_path, name, extra_env=None, pool="solo"):
        self.log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            **(extra_env or {}),
        }
        self.log = open(self.log_path, "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "care2", "worker", f"--pool={pool}",
             "--concurrency=1",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--include", "tests.worker_tasks", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        stop_process(self.process, self.log)


def _reset_pools():
    """Drop Celery's cached broker connections so the next publish uses the new URL."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_process, settings):
    """Point this process's Celery (and cache) at the test's own Redis, not eager."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = redis_process.url
    _reset_pools()
    settings.CACHES = {
        "default": {
            "BACKEND": "care2.cache.ResilientRedisCache",
            "LOCATION": redis_process.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield redis_process
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
    _reset_pools()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_down_while_commenting_loses_nothing(client, broker, postgres_database, tmp_path):
    story = StoryFactory(published=True)
    tracker = UserFactory()
    TrackingFactory(member=tracker, story=story)
    author = UserFactory()
    client.force_login(author)

    broker.stop()  # Redis goes down
    response = client.post(
        reverse("comments:add", args=[story.pk]),
        {"body": "Posted while Redis was down"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Posted while Redis was down" in response.content.decode()
    comment = Comment.objects.get()
    assert client.get(story.get_absolute_url()).status_code == 200
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert unsent.count() == 1 and unsent.get().attempts == 1
    assert not Message.objects.exists()

    broker.start()  # Redis is back: the periodic sweep hands the work to a real worker
    worker = Worker(broker.url, tmp_path, "sweep")
    try:
        assert outbox_sweep_task(older_than_seconds=0) == 1
        message = wait_for(
            lambda: Message.objects.filter(recipient=tracker, key=f"comment:{comment.pk}").first(),
            what="the tracker's message",
        )
    finally:
        worker.stop()
    assert "Posted while Redis was down" in message.body
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_task_runs_it_again_with_one_effect(broker, postgres_database, tmp_path):
    from tests.worker_tasks import slow_idempotent_task

    recipient = UserFactory()
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "CELERY_UNACKED_MUTEX_EXPIRE": "3",  # a killed worker may hold it
    }
    first = Worker(broker.url, tmp_path, "first", env)
    second = None
    try:
        slow_idempotent_task.apply_async(args=[recipient.pk, "once", str(markers)])
        wait_for(lambda: list(markers.glob("attempt-1-*")), what="the first attempt to start")
        first.kill()  # SIGKILL mid-task: nothing acknowledged the message
        second = Worker(broker.url, tmp_path, "second", env)
        wait_for(
            lambda: Message.objects.filter(recipient=recipient, key="once").exists(),
            seconds=90,
            what="the task to run again on the second worker",
        )
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
    assert len(list(markers.glob("attempt-*"))) >= 2
    assert Message.objects.filter(recipient=recipient, key="once").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_pool_child_killed_mid_task_is_requeued_by_reject_on_worker_lost(
    broker, postgres_database, tmp_path
):
    """The production pool (prefork): SIGKILL the child running the task. The worker sees
    the child lost, rejects the message back to the queue (``task_reject_on_worker_lost``,
    not the hour-long visibility timeout), a new child runs it, and the effect is once."""
    from tests.worker_tasks import slow_idempotent_task

    recipient = UserFactory()
    markers = tmp_path / "markers"
    markers.mkdir()
    worker = Worker(
        broker.url, tmp_path, "prefork", {"CELERY_VISIBILITY_TIMEOUT": "3600"}, "prefork"
    )
    try:
        slow_idempotent_task.apply_async(args=[recipient.pk, "child", str(markers)])
        started = wait_for(
            lambda: list(markers.glob("attempt-1-*")), what="the first attempt to start"
        )
        child_pid = int(started[0].name.rsplit("-", 1)[1])
        assert child_pid != worker.process.pid
        os.kill(child_pid, signal.SIGKILL)
        wait_for(
            lambda: Message.objects.filter(recipient=recipient, key="child").exists(),
            seconds=60,
            what="a new pool child to run the task again",
        )
    finally:
        worker.stop()
    assert len(list(markers.glob("attempt-*"))) == 2
    assert Message.objects.filter(recipient=recipient, key="child").count() == 1


@pytest.mark.django_db(transaction=True)
def test_dropped_database_connections_recover_without_a_restart(
    postgres_database, published_story, tmp_path
):
    """A PostgreSQL restart drops every server connection; a running web process (with
    persistent connections) answers cleanly and recovers by itself."""
    import urllib.error
    import urllib.request

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DB_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "0",
    }
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "care2.wsgi:application", "-w", "1", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def status():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    try:
        assert wait_for(lambda: status() == 200, seconds=30, what="the server")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the server's persistent connection
        first = status()
        assert first == 200  # CONN_HEALTH_CHECKS: the dead connection is replaced first
        assert status() == 200  # recovered without a restart
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_database_down_gives_our_503_page(client, monkeypatch):
    from django.db.utils import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("stories.views._listing", down)
    response = client.get("/")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_healthz_reports_a_down_broker(client, broker):
    assert client.get("/healthz").json()["broker"] == "ok"
    broker.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_down_while_a_reader_signs_loses_nothing(client, broker, postgres_database, tmp_path):
    from petitions.models import Signature
    from petitions.tasks import confirmations_resend_task
    from tests.petitions.factories import PetitionFactory

    petition = PetitionFactory()
    broker.stop()
    response = client.post(
        reverse("petitions:sign", args=[petition.pk]),
        {"first_name": "Ana", "last_name": "Reyes", "email": "ana@example.org", "country": "FR"},
    )
    assert response.status_code == 302  # the page works: "check your e-mail"
    signature = Signature.objects.get()
    assert signature.confirmation_sent_at is None

    broker.start()
    worker = Worker(broker.url, tmp_path, "confirmations")
    try:
        Signature.objects.filter(pk=signature.pk).update(
            created_at=signature.created_at - datetime.timedelta(minutes=5)
        )
        assert confirmations_resend_task() == 1
        wait_for(
            lambda: Signature.objects.filter(
                pk=signature.pk, confirmation_sent_at__isnull=False
            ).exists(),
            what="the confirmation e-mail to go out",
        )
    finally:
        worker.stop()
    assert "Please confirm your signature" in worker.output()
    assert confirmations_resend_task() == 0  # sent once


@pytest.mark.parametrize(
    ("fixture", "broken", "install"),
    [
        ("redis_process", {"PATH": ""}, "apt-get install redis-server"),
        (
            "postgres_database",
            {"DATABASE_URL": "sqlite:///x.sqlite3"},
            "apt-get install postgresql",
        ),
    ],
)
@pytest.mark.parametrize("ci", ["true", ""])
def test_a_missing_service_fails_under_ci_and_otherwise_says_what_to_install(
    request, monkeypatch, fixture, broken, install, ci
):
    for name, value in broken.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(BaseException) as outcome:  # noqa: B017 - a skip or a failure
        request.getfixturevalue(fixture)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    assert outcome.type is expected, outcome.type
    assert install in str(outcome.value)
