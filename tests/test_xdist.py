"""make test runs the suite in several pytest-xdist processes: each has its own Redis
database, as each has its own PostgreSQL test database."""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.xdist_worker import _worker_database_url

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


@pytest.mark.parametrize(
    "url, worker, moved",
    [
        ("redis://127.0.0.1:6379/0", 0, "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/6", 1, "redis://127.0.0.1:6379/7"),
        ("redis://127.0.0.1:6379", 2, "redis://127.0.0.1:6379/2"),
        ("redis://:secret@redis.internal:6380/15", 1, "redis://:secret@redis.internal:6380/0"),
    ],
)
def test_a_worker_takes_the_database_its_number_after_the_given_one(url, worker, moved):
    assert _worker_database_url(url, worker) == moved


@pytest.mark.skipif(not WORKER, reason="runs under pytest-xdist (make test)")
def test_this_worker_caches_and_queues_in_its_own_redis_database():
    import sys

    moved = sys.modules["tests.xdist_worker"].MOVED
    assert moved["REDIS_URL"] == os.environ["REDIS_URL"]
    assert settings.CACHES["default"]["LOCATION"] == moved["REDIS_URL"]
    assert moved.get("CELERY_BROKER_URL", moved["REDIS_URL"]) == settings.CELERY_BROKER_URL


@pytest.mark.skipif(not WORKER, reason="runs under pytest-xdist (make test)")
@pytest.mark.django_db
def test_this_worker_has_its_own_test_database():
    assert connection.settings_dict["NAME"].endswith(f"_{WORKER}")
