"""A reader who signed sees, on the petition page in that browser, that they did."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from petitions import reader_signatures
from petitions.models import Signature
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db

READER = {
    "first_name": "Nadia",
    "last_name": "Okafor",
    "email": "nadia.reader@example.org",
    "country": "NG",
    "show_name": "on",
}


def sign(client, petition, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("petitions:sign", args=[petition.pk]), {**READER, **overrides}
        )
    assert response.status_code == 302
    return mail.outbox[-1].body


def page(client, petition):
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    return response


def sign_box(html):
    return html[html.index('id="sign"') :]


@pytest.fixture
def petition(db):
    return PetitionFactory()


def test_after_signing_and_confirming_the_page_says_so_in_that_browser_only(
    client, petition, django_capture_on_commit_callbacks, settings
):
    settings.READER_PAGE_CACHE_SECONDS = 60
    stranger = Client()
    assert page(stranger, petition)["X-Reader-Cache"] in ("miss", "hit")  # the cached page

    body = sign(client, petition, django_capture_on_commit_callbacks)
    pending = page(client, petition)
    assert "X-Reader-Cache" not in pending  # rendered for this reader, never cached
    assert "follow the link in the e-mail" in pending.content.decode().lower()

    client.post(re.search(r"(/petitions/confirm/[^/\s]+/)", body).group(1))
    html = page(client, petition).content.decode()
    assert 'data-testid="reader-signed"' in html
    assert "your signature is counted" in html
    # Someone else on the same device can still sign, from the folded form.
    box = sign_box(html)
    assert "<details" in box and "Someone else signing on this device?" in box
    assert 'name="email"' in box and 'name="csrfmiddlewaretoken"' in box

    # Another browser still gets the readers' cached page, with the open form.
    other = page(stranger, petition)
    assert other["X-Reader-Cache"] in ("miss", "hit")
    assert 'data-testid="reader-signed"' not in other.content.decode()


def test_withdrawing_forgets_it(client, petition, django_capture_on_commit_callbacks):
    body = sign(client, petition, django_capture_on_commit_callbacks)
    client.post(re.search(r"(/petitions/confirm/[^/\s]+/)", body).group(1))
    client.post(re.search(r"(/petitions/withdraw/[^/\s]+/)", body).group(1))
    assert not Signature.objects.exists()
    assert 'data-testid="reader-signed"' not in page(client, petition).content.decode()


def test_a_forged_or_edited_cookie_is_ignored(client, petition):
    client.cookies[reader_signatures.COOKIE] = f"{petition.pk}c"
    assert 'data-testid="reader-signed"' not in page(client, petition).content.decode()


def test_the_cookie_keeps_the_newest_petitions_and_only_ids(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(reader_signatures, "KEPT", 3)
    petitions = PetitionFactory.create_batch(4)
    for number, petition in enumerate(petitions):
        sign(client, petition, django_capture_on_commit_callbacks, email=f"n{number}@example.org")
    value = client.cookies[reader_signatures.COOKIE].value
    assert "example.org" not in value and "Nadia" not in value
    html = [page(client, p).content.decode() for p in petitions]
    assert ['data-testid="reader-signed"' in h for h in html] == [False, True, True, True]


def test_a_member_page_is_not_changed_by_the_cookie(
    client, petition, django_capture_on_commit_callbacks, other_member
):
    sign(client, petition, django_capture_on_commit_callbacks)
    client.force_login(other_member)
    html = page(client, petition).content.decode()
    assert 'data-testid="reader-signed"' not in html
    assert "You sign as" in html
