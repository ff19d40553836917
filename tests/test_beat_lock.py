"""One beat, however many are started: with Redis, celery-redbeat's lock lets one beat
send the periodic tasks while another waits to take over; and every periodic task is
idempotent, so a period that is run twice anyway (a takeover) changes nothing more."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import redis

from care2.celery import app as celery_app
from tests.conftest import require_service
from tests.subprocess_django import django_python, stop_process, wait_for

ROOT = Path(__file__).resolve().parent.parent

CONF = (
    "import json; from care2.celery import app; c = app.conf;"
    "print(json.dumps({'scheduler': c.beat_scheduler, 'url': c.get('redbeat_redis_url'),"
    " 'lock': c.get('redbeat_lock_timeout'), 'prefix': c.get('redbeat_key_prefix'),"
    " 'loop': c.beat_max_loop_interval}))"
)


def test_redbeat_is_the_scheduler_when_redis_is_set():
    conf = json.loads(
        django_python(
            CONF,
            REDIS_URL="redis://redis.internal:6379/0",
            CELERY_REDBEAT_REDIS_URL="",
            CELERY_REDBEAT_LOCK_TIMEOUT="",
            CELERY_BEAT_MAX_LOOP_INTERVAL="",
            CACHE_KEY_PREFIX="site-a",
        )
    )
    assert conf == {
        "scheduler": "redbeat.RedBeatScheduler",
        "url": "redis://redis.internal:6379/0",
        "lock": 30,
        "prefix": "site-a:redbeat",
        "loop": 5,
    }
    conf = json.loads(
        django_python(
            CONF,
            REDIS_URL="redis://redis.internal:6379/0",
            CELERY_REDBEAT_REDIS_URL="redis://beat-lock:6379/3",
            CELERY_REDBEAT_LOCK_TIMEOUT="90",
            CELERY_BEAT_MAX_LOOP_INTERVAL="10",
        )
    )
    assert (conf["url"], conf["lock"], conf["loop"]) == ("redis://beat-lock:6379/3", 90, 10)


def test_without_redis_beat_keeps_the_file_scheduler():
    conf = json.loads(django_python(CONF, REDIS_URL="", CELERY_BROKER_URL=""))
    assert conf["scheduler"] == "celery.beat:PersistentScheduler"
    assert conf["url"] is None


def test_a_lock_shorter_than_two_loops_is_refused_at_start():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        django_python(
            "print('started')",
            REDIS_URL="redis://127.0.0.1:6379/0",
            CELERY_REDBEAT_LOCK_TIMEOUT="8",
            CELERY_BEAT_MAX_LOOP_INTERVAL="5",
        )
    assert "CELERY_REDBEAT_LOCK_TIMEOUT must exceed" in failure.value.stderr


class Beat:
    def __init__(self, tmp_path: Path, name: str, env: dict[str, str]):
        self.log_path = tmp_path / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "care2", "beat",
             "--loglevel=DEBUG", "--schedule", str(tmp_path / f"{name}-schedule")],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def stop(self):
        stop_process(self.process, self.log)


@pytest.mark.worker
def test_two_beats_one_sends_and_the_other_takes_over_when_it_stops(tmp_path):
    redis_url = os.environ.get("REDIS_URL", "")
    require_service(
        bool(redis_url),
        "Redis (REDIS_URL)",
        "apt-get install redis-server, then make test (it sets REDIS_URL)",
    )
    prefix = f"beat-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        # The lock and the schedule live in Redis; what the beats send stays in their
        # own process (no worker is listening, nothing is left in Redis).
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CACHE_KEY_PREFIX": prefix,
        "CELERY_BEAT_MAX_LOOP_INTERVAL": "1",
        "CELERY_REDBEAT_LOCK_TIMEOUT": "5",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "DEBUG",
    }
    lock_key = f"{prefix}:redbeat:lock"
    first = Beat(tmp_path, "beat-a", env)
    second = None
    try:
        wait_for(lambda: "beat: Acquired lock" in first.output(), what="the first beat's lock")
        assert client.exists(lock_key)

        second = Beat(tmp_path, "beat-b", env)
        wait_for(lambda: "beat: Acquiring lock" in second.output(), what="the second beat to start")
        # The second beat waits for the lock the first one keeps renewing: it sends nothing.
        wait_for(lambda: first.output().count("beat: Extending lock") >= 3, what="three renewals")
        assert "beat: Acquired lock" not in second.output()
        assert "Sending due task" not in second.output()

        first.stop()  # releases the lock on the way out
        assert "beat: Releasing lock" in first.output()
        wait_for(
            lambda: "beat: Acquired lock" in second.output(), what="the second beat's takeover"
        )
        assert client.exists(lock_key)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        print(first.output()[-3000:], second.output()[-3000:] if second else "")


def test_every_periodic_task_is_registered_and_goes_to_the_default_queue():
    celery_app.loader.import_default_modules()
    for name, entry in celery_app.conf.beat_schedule.items():
        assert entry["task"] in celery_app.tasks, name
        route = celery_app.amqp.router.route({}, entry["task"])
        assert route["queue"].name == "celery", name


@pytest.mark.django_db
def test_every_periodic_task_run_twice_changes_nothing_the_second_time(settings):
    """A takeover may run a period twice: the second run finds nothing to do."""
    import datetime

    from django.utils import timezone

    from petitions.models import Petition, Signature
    from stories.models import Story
    from tests.factories import StoryFactory
    from tests.petitions.factories import PetitionFactory, SignatureFactory

    long_ago = timezone.now() - datetime.timedelta(days=400)
    stale = StoryFactory()
    Story.objects.filter(pk=stale.pk).update(status=Story.Status.NEW, created_at=long_ago)
    past = PetitionFactory(deadline=timezone.now() - datetime.timedelta(days=1))
    unconfirmed = SignatureFactory(petition=PetitionFactory())
    Signature.objects.filter(pk=unconfirmed.pk).update(
        status=Signature.Status.PENDING, created_at=long_ago
    )
    closed = PetitionFactory()
    SignatureFactory(petition=closed, email="kept-until-erased@example.org")
    Petition.objects.filter(pk=closed.pk).update(status=Petition.Status.CLOSED, closed_at=long_ago)

    celery_app.loader.import_default_modules()
    first = {}
    for name, entry in celery_app.conf.beat_schedule.items():
        first[name] = celery_app.tasks[entry["task"]].apply().get()
    second = {
        name: celery_app.tasks[entry["task"]].apply().get()
        for name, entry in celery_app.conf.beat_schedule.items()
    }

    assert first["stories-expire-newly-submitted"] == 1
    assert first["petitions-close-past-deadline"] == 1
    assert first["petitions-delete-unconfirmed"] >= 1
    assert first["petitions-erase-emails"] >= 1
    assert set(second.values()) == {0}, second
    stale.refresh_from_db()
    past.refresh_from_db()
    assert stale.status == Story.Status.EXPIRED
    assert past.status == Petition.Status.CLOSED
    assert not Signature.objects.filter(pk=unconfirmed.pk).exists()
    assert not Signature.objects.filter(email="kept-until-erased@example.org").exists()
