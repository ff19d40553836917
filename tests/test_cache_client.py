"""The Redis cache makes one client per connection pool, not one per call, and keeps
working across a dropped connection."""

import os

import pytest

from care2.cache import KeptClientRedisCacheClient, ResilientRedisCache
from tests.conftest import require_service


@pytest.fixture
def redis_cache():
    """The site's Redis cache on the suite's Redis (the suite itself caches in memory)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        require_service(False, "Redis (REDIS_URL)", "make test, which sets REDIS_URL")
    redis_cache = ResilientRedisCache(url, {"KEY_PREFIX": "test-cache-client"})
    yield redis_cache
    redis_cache.delete("kept-client")


def test_one_client_is_made_per_pool_and_shared(redis_cache):
    assert isinstance(redis_cache._cache, KeptClientRedisCacheClient)
    first = redis_cache._cache.get_client("a", write=True)
    assert redis_cache._cache.get_client("b", write=False) is first
    redis_cache.set("kept-client", 1)
    assert redis_cache.get("kept-client") == 1


def test_the_shared_client_reconnects_after_its_connections_drop(redis_cache):
    redis_cache.set("kept-client", 2)
    client = redis_cache._cache.get_client(write=True)
    client.connection_pool.disconnect()  # as when Redis restarts
    assert redis_cache.get("kept-client") == 2
    assert redis_cache._cache.get_client() is client


def test_incr_or_start_starts_a_missing_count_then_adds_one(redis_cache):
    redis_cache.delete("kept-client")
    assert redis_cache.incr_or_start("kept-client", 1_000_000) == 1_000_000
    assert redis_cache.incr_or_start("kept-client", 5) == 1_000_001
    assert redis_cache.get("kept-client") == 1_000_001


def test_incr_or_start_is_one_round_trip(redis_cache, redis_sends):
    redis_cache.set("kept-client", 7)
    redis_cache.incr_or_start("kept-client", 1)  # loads the script on first use
    redis_sends.clear()
    assert redis_cache.incr_or_start("kept-client", 1) == 9
    assert len(redis_sends) == 1


def test_incr_or_start_with_redis_down_answers_none(caplog):
    down = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {}})
    assert down.incr_or_start("kept-client", 1) is None
    assert "incr_or_start skipped" in caplog.text


def test_redis_replies_are_parsed_in_c():
    """hiredis (``redis[hiredis]``) parses every reply of the cache, the sessions and the
    broker, in place of redis-py's pure-Python parser."""
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
