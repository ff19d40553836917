import os
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.factories import CategoryFactory, StoryFactory, UserFactory

pytest_plugins = ["tests.clock"]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in the cache (Redis in `make test`): start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _task_joins_allowed():
    """Celery keeps "a task's result may not be waited for here" in one process-wide flag
    that an eager task sets and restores around itself. Eager tasks running in several
    threads at once (the race tests) can restore it in the wrong order and leave it set,
    failing a later test's eager task: each test ends with it cleared."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _eager_tasks_raise(settings):
    """A task that fails in a test fails the test (the site itself logs and sweeps)."""
    settings.OUTBOX_EAGER_RAISES = True


@pytest.fixture(autouse=True)
def _outbox_sends_at_once(settings):
    """An idempotent task is sent and marked as its change commits, so a test sees both
    at once; tests/test_outbox.py checks what a process sends together, later."""
    settings.OUTBOX_SEND_WITHIN_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_reader_page_cache(settings):
    """Factories write without invalidating the readers' page cache, so tests run with it
    off; tests/test_pagecache.py turns it on and checks its invalidation."""
    settings.READER_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def still_clock():
    """The clock stands still for the test: a rate limit's window (django-ratelimit's
    windows start at a time that depends on the key) cannot end between two requests
    that must fall in one, whatever the hour the suite runs at."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture
def member(db):
    return UserFactory(first_name="Beth", last_name="smith")


@pytest.fixture
def other_member(db):
    return UserFactory(first_name="Allen", last_name="Green")


@pytest.fixture
def moderator(db):
    from django.contrib.auth.models import Group

    user = UserFactory(first_name="Mona", last_name="Moderator", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def category(db):
    return CategoryFactory(name="Society & Culture", slug="society-culture")


@pytest.fixture
def story(db, category):
    return StoryFactory(category=category, tags=["France", "soldiers"])


@pytest.fixture
def published_story(db, category):
    return StoryFactory(category=category, published=True, tags=["oceans"])


@pytest.fixture
def artifacts_dir():
    """Where browser tests leave screenshots: test-results/ (or $TEST_ARTIFACTS_DIR)."""
    path = Path(
        os.environ.get(
            "TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "test-results"
        )
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After every database test, the credits ledger and the members' counters agree."""
    yield
    if "/e2e/" in str(item.fspath) or item.get_closest_marker("allow_credit_drift"):
        return
    if {"db", "transactional_db"} & set(item.fixturenames) or item.get_closest_marker("django_db"):
        from credits.services import credits_reconcile

        drifts = credits_reconcile().drifts
        assert not drifts, [str(d) for d in drifts]


def require_service(available: bool, what: str, install: str) -> None:
    """For tests of real processes (redis-server, PostgreSQL, a Celery worker): without
    the service the test is skipped and says what to install; under ``CI=true`` a
    missing service fails the run instead, so CI never passes by skipping them."""
    if available:
        return
    message = f"needs {what}; install it with: {install}"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true, but this test {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def redis_cache():
    """The site's cache, when it is Redis (``make test`` sets ``TEST_REDIS_URL``)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        pytest.skip("the cache is not Redis (make test sets TEST_REDIS_URL)")
    return cache


@pytest.fixture
def redis_sends(monkeypatch):
    """What is written to Redis, one entry per round trip (a command or a pipeline)."""
    import redis

    sends = []
    real = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sends.append(command if isinstance(command, bytes) else b"".join(command))
        return real(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sends
