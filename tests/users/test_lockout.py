"""Wrong passwords from strangers cannot lock the owner out: their usual browser keeps
working, and anyone refused can sign in with a code sent by e-mail."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, email, password, ip="203.0.113.5"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def owner():
    return UserFactory(email="owner@example.com")


def lock_out(email):
    attacker = Client()
    for n in range(6):
        sign_in(attacker, email, f"wrong-{n}", ip=f"198.51.100.{n}")
    return attacker


def test_strangers_guesses_do_not_lock_the_owners_usual_browser(owner):
    browser = Client()
    assert sign_in(browser, owner.email, PASSWORD).status_code == 302
    browser.post(reverse("account_logout"))
    attacker = lock_out(owner.email)
    refused = sign_in(attacker, owner.email, PASSWORD, ip="198.51.100.99")
    assert refused.status_code == 200  # the locked bucket refuses even the right password
    response = sign_in(browser, owner.email, PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in browser.session


def test_the_usual_browser_still_has_its_own_limit(owner):
    browser = Client()
    sign_in(browser, owner.email, PASSWORD)
    browser.post(reverse("account_logout"))
    for n in range(5):
        sign_in(browser, owner.email, f"wrong-{n}")
    html = sign_in(browser, owner.email, PASSWORD).content.decode()
    assert "Too many wrong passwords" in html


def test_the_refusal_offers_a_sign_in_code_that_works(owner):
    lock_out(owner.email)
    stranger = Client()
    response = sign_in(stranger, owner.email, PASSWORD, ip="192.0.2.7")
    html = response.content.decode()
    assert "Too many wrong passwords" in html
    assert "E-mail me a sign-in code" in html
    code_url = reverse("account_request_login_code")
    assert f'href="{code_url}' in html
    # The owner, on a new device, asks for a code and signs in with it.
    response = stranger.post(code_url, {"email": owner.email})
    assert response.status_code == 302
    [message] = mail.outbox
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.M).group(1)
    response = stranger.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert stranger.session["_auth_user_id"] == str(owner.pk)
