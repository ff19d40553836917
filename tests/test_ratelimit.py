"""care2.ratelimit: django-ratelimit's count in one round trip to Redis, for every rate
limit of the site (the sign POST, the comment POST, the API): the same key, window and
expiry as django-ratelimit's, RATELIMIT_FAIL_OPEN with Redis down, and django-ratelimit
itself for any other cache."""

import logging
import uuid

import pytest
import redis
from django.test import RequestFactory
from django.urls import reverse
from django_ratelimit import core as ratelimit_core

from care2 import ratelimit
from comments.models import Comment

pytestmark = pytest.mark.django_db


def rate_limit_sends(sends) -> list[bytes]:
    """The round trips that touch a rate limit's count (django-ratelimit's keys: rl:…)."""
    return [sent for sent in sends if b":rl:" in sent]


def post_request(ip="198.51.100.20"):
    return RequestFactory().post("/petitions/1/sign/", REMOTE_ADDR=ip)


def test_the_count_is_django_ratelimits_own_key_window_and_expiry(
    settings, still_clock, redis_cache, redis_sends
):
    """Both count the same key: the limit holds across a deployment that changes one."""
    request = post_request()
    for _ in range(3):
        assert not ratelimit.is_ratelimited(
            request, group="petitions:sign", key="ip", rate="5/m", method="POST", increment=True
        )
    assert len(redis_sends) == 3
    usage = ratelimit_core.get_usage(
        request, group="petitions:sign", key="ip", rate="5/m", method="POST", increment=False
    )
    assert usage["count"] == 3
    window = ratelimit_core._get_window(ratelimit_core._get_ip(request), 60)
    key = redis_cache.make_and_validate_key(
        ratelimit_core._make_cache_key("petitions:sign", window, "5/m", "198.51.100.20", "POST")
    )
    ttl = redis_cache._cache.get_client(key).ttl(key)
    assert 0 < ttl <= 60 + ratelimit_core.EXPIRATION_FUDGE
    for expected_limited in (False, False, True, True):  # the 4th and 5th pass, then refused
        limited = ratelimit.is_ratelimited(
            request, group="petitions:sign", key="ip", rate="5/m", method="POST", increment=True
        )
        assert limited is expected_limited
    other = post_request(ip="198.51.100.21")
    assert not ratelimit.is_ratelimited(
        other, group="petitions:sign", key="ip", rate="5/m", method="POST", increment=True
    )


@pytest.mark.parametrize("fail_open", [True, False])
def test_with_redis_down_the_limit_follows_ratelimit_fail_open(
    settings, redis_cache, monkeypatch, caplog, fail_open
):
    settings.RATELIMIT_FAIL_OPEN = fail_open

    def down(self, key=None, *, write=False):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(type(redis_cache._cache), "get_client", down)
    with caplog.at_level(logging.WARNING, logger="care2.ratelimit"):
        limited = ratelimit.is_ratelimited(
            post_request(), group="petitions:sign", key="ip", rate="5/m", increment=True
        )
    assert limited is (not fail_open)
    assert "rate limit not counted" in caplog.text


def test_another_cache_counts_through_django_ratelimit(settings, still_clock):
    settings.CACHES = {
        **settings.CACHES,
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.RATELIMIT_USE_CACHE = "local"
    request = post_request()
    outcomes = [
        ratelimit.is_ratelimited(
            request, group="petitions:sign", key="ip", rate="2/m", method="POST", increment=True
        )
        for _ in range(3)
    ]
    assert outcomes == [False, False, True]


def test_the_limit_off_or_a_get_counts_nothing(settings, redis_cache, redis_sends):
    settings.RATELIMIT_ENABLE = False
    assert not ratelimit.is_ratelimited(
        post_request(), group="g", key="ip", rate="1/m", method="POST", increment=True
    )
    settings.RATELIMIT_ENABLE = True
    get = RequestFactory().get("/", REMOTE_ADDR="198.51.100.20")
    assert not ratelimit.is_ratelimited(
        get, group="g", key="ip", rate="1/m", method="POST", increment=True
    )
    assert redis_sends == []


def test_a_comment_post_counts_its_rate_limit_in_one_round_trip(
    client, member, published_story, settings, still_clock, redis_cache, redis_sends
):
    """The member's comment POST (key "user"): one MULTI of SET NX EX and INCR, for the
    first post of a window and the ones after it alike (django-ratelimit sends SET NX,
    EXISTS and INCR one after the other from the second on); the sixth in a minute is
    refused with a message, its text kept."""
    settings.COMMENT_RATE = "5/m"
    client.force_login(member)
    url = reverse("comments:add", args=[published_story.pk])
    for i in range(5):
        redis_sends.clear()
        response = client.post(url, {"body": f"Post {i}", "submission_key": str(uuid.uuid4())})
        assert response.status_code == 302
        (sent,) = rate_limit_sends(redis_sends)
        assert b"MULTI" in sent and b"INCR" in sent and b"NX" in sent
    usage = ratelimit_core.get_usage(
        response.wsgi_request,
        group="comments.post",
        key="user",
        rate="5/m",
        increment=False,
    )
    assert usage["count"] == 5  # django-ratelimit reads the same count
    response = client.post(url, {"body": "One too many", "submission_key": str(uuid.uuid4())})
    assert response.status_code == 429
    html = response.content.decode()
    assert "You are commenting very fast" in html and "One too many" in html
    assert Comment.objects.filter(story=published_story).count() == 5


def test_an_api_request_counts_its_rate_limit_in_one_round_trip(
    client, published_story, settings, still_clock, redis_cache, redis_sends
):
    settings.API_RATE = "3/m"
    for _ in range(3):
        redis_sends.clear()
        assert client.get(reverse("api:stories")).status_code == 200
        assert len(rate_limit_sends(redis_sends)) == 1
    response = client.get(reverse("api:stories"))
    assert response.status_code == 429 and "slow down" in response.json()["error"]
