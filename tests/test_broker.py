"""The broker transport publishes through one Redis client per channel, and what it
publishes is what kombu's own transport reads back."""

import os

import pytest
from kombu import Connection

from care2.broker import Channel
from tests.conftest import require_service


@pytest.fixture
def broker_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        require_service(False, "Redis (REDIS_URL)", "make test, which sets REDIS_URL")
    return url


def test_the_site_publishes_through_the_kept_client_transport(settings):
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        assert settings.CELERY_BROKER_TRANSPORT == "care2.broker:Transport"


def test_one_client_serves_every_publish_and_kombu_reads_them(broker_url):
    with Connection(broker_url, transport="care2.broker:Transport") as conn:
        channel = conn.default_channel
        assert isinstance(channel, Channel)
        queue = conn.SimpleQueue("care2-test-broker")
        queue.clear()
        clients = set()
        for n in range(3):
            queue.put({"n": n})
            clients.add(id(channel._create_client()))
        assert len(clients) == 1
        with Connection(broker_url) as plain:  # kombu's own Redis transport
            mine = plain.SimpleQueue("care2-test-broker")
            got = [mine.get(timeout=2) for _ in range(3)]
            assert sorted(message.payload["n"] for message in got) == [0, 1, 2]
            for message in got:
                message.ack()
            mine.close()
        queue.close()
