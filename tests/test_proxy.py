"""The client's address behind the site's own proxies (TRUSTED_PROXY_COUNT / _NETWORKS):
every consumer (rate limits, allauth, Signature.ip, the request log) sees the client, and
a client cannot choose its address with a header of its own."""

import logging

import pytest
from django.urls import reverse

from petitions.models import Signature
from petitions.selectors import busiest_ips
from tests.petitions.factories import PetitionFactory

PROXY = "10.0.0.7"  # the load balancer, as the web process sees it


def sign(client, petition, n, **headers):
    return client.post(
        reverse("petitions:sign", args=[petition.pk]),
        {"first_name": "Ana", "last_name": f"R{n}", "email": f"s{n}@example.org", "country": "FR"},
        **headers,
    )


@pytest.fixture
def petition(db, settings):
    settings.PETITION_SIGN_RATE = "5/m"
    return PetitionFactory()


def test_a_spoofed_header_changes_nothing_without_the_setting(
    client, petition, settings, still_clock
):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXY_NETWORKS = []
    for n in range(5):
        response = sign(
            client, petition, n, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
        assert response.status_code == 302
    # A sixth "address" in the header is still the same client: refused.
    response = sign(
        client, petition, 9, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert response.status_code == 429
    assert set(Signature.objects.values_list("ip", flat=True)) == {"198.51.100.1"}


def test_two_clients_behind_one_trusted_proxy_get_their_own_limits(
    client, petition, settings, still_clock
):
    settings.TRUSTED_PROXY_COUNT = 1
    alice = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    bob = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    for n in range(5):
        assert sign(client, petition, n, **alice).status_code == 302
    assert sign(client, petition, 5, **alice).status_code == 429
    # Bob shares the proxy, not Alice's budget.
    assert sign(client, petition, 6, **bob).status_code == 302
    assert dict(Signature.objects.values_list("email", "ip"))["s6@example.org"] == "203.0.113.6"
    rows = {row["ip"]: row["n"] for row in busiest_ips(petition=petition)}
    assert rows == {"203.0.113.5": 5, "203.0.113.6": 1}


def test_a_client_that_prepends_a_fake_address_still_gets_its_real_one(
    client, petition, settings, still_clock
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        # The proxy appends what it saw (203.0.113.5) to whatever the client sent.
        headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}, 203.0.113.5"}
        assert sign(client, petition, n, **headers).status_code == 302
    headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "junk, 192.0.2.77, 203.0.113.5"}
    assert sign(client, petition, 5, **headers).status_code == 429
    assert set(Signature.objects.values_list("ip", flat=True)) == {"203.0.113.5"}


def test_two_proxies_are_counted_from_the_right(rf, settings):
    from care2.middleware import TrustedProxyMiddleware

    settings.TRUSTED_PROXY_COUNT = 2
    seen = []
    middleware = TrustedProxyMiddleware(lambda request: seen.append(request.META["REMOTE_ADDR"]))
    # fake, client (seen by the outer proxy), the outer proxy (seen by the inner one).
    middleware(
        rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5, 10.0.0.2")
    )
    # Fewer hops than proxies: the request bypassed one, the header is not believed.
    middleware(rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="1.1.1.1"))
    assert seen == ["203.0.113.5", "198.51.100.1"]


def test_trusted_networks_skip_our_hops_and_ignore_other_peers(rf, settings):
    from care2.middleware import TrustedProxyMiddleware

    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8", "fd00::/8"]
    seen = []
    middleware = TrustedProxyMiddleware(lambda request: seen.append(request.META["REMOTE_ADDR"]))
    middleware(rf.get("/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5"))
    middleware(
        rf.get("/", REMOTE_ADDR="fd00::1", HTTP_X_FORWARDED_FOR="1.1.1.1, 2001:db8::5, 10.9.9.9")
    )
    # A peer outside our networks is the client, whatever its header says.
    middleware(rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    assert seen == ["203.0.113.5", "2001:db8::5", "198.51.100.1"]


def _fail_login(client, n, **headers):
    return client.post(
        reverse("account_login"),
        {"login": f"nobody{n}@example.org", "password": "wrong-password"},
        **headers,
    )


@pytest.mark.django_db
def test_allauth_log_in_limits_are_per_client_behind_the_proxy(client, settings, still_clock):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    alice = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    bob = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "9.9.9.9, 203.0.113.6"}
    for n in range(3):
        assert _fail_login(client, n, **alice).status_code == 200
    assert _fail_login(client, 3, **alice).status_code == 429
    assert _fail_login(client, 4, **bob).status_code == 200  # not refused: his own budget


@pytest.mark.django_db
def test_a_short_header_never_breaks_the_log_in_page(client, settings):
    settings.TRUSTED_PROXY_COUNT = 3
    response = _fail_login(client, 0, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_request_log_names_the_client(client, settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    with caplog.at_level(logging.INFO, logger="care2.request"):
        client.get("/healthz", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    (record,) = [r for r in caplog.records if r.name == "care2.request"]
    assert record.ip == "203.0.113.5"
