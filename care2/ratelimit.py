"""django-ratelimit's counting, in one round trip to Redis: the site's rate limits (the
sign POST, the comment POST, the API) all count through ``is_ratelimited`` here.

``django_ratelimit.core.is_ratelimited(..., increment=True)`` counts with ``cache.add``
then ``cache.incr``. On Django's Redis cache that is three commands, each waiting for its
answer, from the second request of a window on: ``SET NX`` (refused: the key exists),
``EXISTS`` and ``INCR``. Here the same count, under the same key and in the same window,
is one ``MULTI`` sent at once: ``SET key 0 EX period NX`` (creates the key with its expiry
only if it is missing) and ``INCR key``. Being one transaction, the key cannot expire
between the two, so it always has its expiry.

Same arguments as django-ratelimit's ``is_ratelimited``; anything this does not handle
(another cache than Redis, such as the local memory cache of ``make run``; a callable key
or rate; no increment) goes to django-ratelimit unchanged.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django_ratelimit import ALL
from django_ratelimit import core as ratelimit_core

from care2.cache import DOWN

logger = logging.getLogger(__name__)


def is_ratelimited(request, group=None, fn=None, key=None, rate=None, method=ALL, increment=False):
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if not (
        isinstance(cache, RedisCache)
        and increment
        and group
        and fn is None
        and isinstance(rate, str)
        and "." not in rate
        and key in ratelimit_core._SIMPLE_KEYS
    ):
        return ratelimit_core.is_ratelimited(
            request, group=group, fn=fn, key=key, rate=rate, method=method, increment=increment
        )
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return False
    if not ratelimit_core._method_match(request, method):
        return False
    limit, period = ratelimit_core._split_rate(rate)
    value = ratelimit_core._SIMPLE_KEYS[key](request)
    window = ratelimit_core._get_window(value, period)
    cache_key = cache.make_and_validate_key(
        ratelimit_core._make_cache_key(group, window, rate, value, method)
    )
    try:
        pipeline = cache._cache.get_client(cache_key, write=True).pipeline(transaction=True)
        pipeline.set(cache_key, 0, ex=period + ratelimit_core.EXPIRATION_FUDGE, nx=True)
        pipeline.incr(cache_key)
        count = pipeline.execute()[1]
    except DOWN as error:
        # As django-ratelimit does when the cache fails: let through, or refuse.
        logger.warning("cache unavailable (%s): rate limit not counted", type(error).__name__)
        return not getattr(settings, "RATELIMIT_FAIL_OPEN", False)
    return count > limit
