"""A real Celery worker, against the real Redis, delivers a tracker's message."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings

from care2.celery import app as celery_app
from care2.users.models import Message
from comments.services import comment_create
from comments.tasks import comment_notify_batch_task, comment_notify_task
from tests.comments.factories import TrackingFactory
from tests.conftest import require_service
from tests.factories import StoryFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]


def test_tasks_are_acks_late_and_redelivered_if_the_worker_dies():
    for task in (comment_notify_task, comment_notify_batch_task):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + django_settings.DATABASES["default"]["NAME"]))


@pytest.fixture
def worker_queue():
    require_service(
        bool(os.environ.get("REDIS_URL")),
        "Redis (REDIS_URL)",
        "apt-get install redis-server, then make test (it sets REDIS_URL)",
    )
    require_service(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        "a PostgreSQL DATABASE_URL",
        "apt-get install postgresql, then make test (it sets DATABASE_URL)",
    )
    queue = f"comments-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "COMMENTS_TASK_QUEUE": queue,
    }
    log = open(BASE_DIR / "var" / f"{queue}.log", "w+")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "celery"),
            "-A",
            "care2",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],  # fmt: skip
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    eager = celery_app.conf.task_always_eager
    broker = celery_app.conf.broker_url
    routes = celery_app.conf.task_routes
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = os.environ["REDIS_URL"]
    # What COMMENTS_TASK_QUEUE does in the worker's settings (conf.update resets the
    # router Celery caches).
    celery_app.conf.update(task_routes={"comments.tasks.*": {"queue": queue}})
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.broker_url = broker
        celery_app.conf.update(task_routes=routes)
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        log.seek(0)
        output = log.read()
        log.close()
        os.unlink(log.name)
        print(output[-4000:])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_message(worker_queue):
    story = StoryFactory(published=True)
    tracker = UserFactory(first_name="Tess")
    TrackingFactory(member=tracker, story=story)
    author = UserFactory(first_name="Beth", last_name="Summers")

    comment = comment_create(author=author, story=story, body="Heard it from the worker")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = Message.objects.filter(recipient=tracker, key=f"comment:{comment.pk}").first()
        if message is not None:
            break
        time.sleep(0.25)
    else:
        pytest.fail("The worker did not deliver the message within 60 seconds.")
    assert message.subject == f"Beth S commented on “{story.title}”"
    assert message.body.startswith("Heard it from the worker")
    assert not Message.objects.filter(recipient=author).exists()


@pytest.mark.parametrize("ci", ["true", ""])
def test_without_redis_the_worker_test_fails_under_ci_or_says_what_to_install(
    request, monkeypatch, ci
):
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(BaseException) as outcome:  # noqa: B017 - a skip or a failure
        request.getfixturevalue("worker_queue")
    assert outcome.type is (pytest.fail.Exception if ci else pytest.skip.Exception)
    assert "apt-get install redis-server" in str(outcome.value)
