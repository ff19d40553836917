"""The petition page through a surge: readers' pages whole from the page cache with their
own CSRF token in the sign form's slot, members' pages from one shared rendering per
shape with their own parts filled in (tests/petitions/test_member_petition_page.py), a signature
shown at once on both, and the anonymous sign POST in one database round trip."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from care2.slots import CSRF_SLOT
from petitions import services
from petitions.models import Signature
from tests.factories import UserFactory
from tests.petitions.test_views import confirmed_signers, reader_data

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def reader_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60
    cache.clear()


def reader() -> Client:
    return Client(enforce_csrf_checks=True)


def count_in(html: str) -> str:
    return re.search(r'data-testid="signature-count">([^<]+)<', html).group(1)


def test_two_readers_get_one_cached_page_with_their_own_csrf_tokens(
    petition, django_assert_num_queries
):
    first, second = reader(), reader()
    one = first.get(petition.get_absolute_url())
    with django_assert_num_queries(0):  # the whole page from the cache
        two = second.get(petition.get_absolute_url())
    assert (one["X-Reader-Cache"], two["X-Reader-Cache"]) == ("miss", "hit")
    html_one, html_two = one.content.decode(), two.content.decode()
    assert CSRF_SLOT not in html_one and CSRF_SLOT not in html_two
    (token_one,), (token_two,) = TOKEN.findall(html_one), TOKEN.findall(html_two)
    assert token_one != token_two
    # Each reader gets the CSRF cookie their own token belongs to, and no shared cache
    # may keep a page that carries it.
    cookie_one, cookie_two = one.cookies["csrftoken"].value, two.cookies["csrftoken"].value
    assert cookie_one != cookie_two
    for response in (one, two):
        assert "Cookie" in response["Vary"]
        assert "private" in response["Cache-Control"]
    # Without the token swap the pages are the same bytes.
    assert html_one.replace(token_one, "") == html_two.replace(token_two, "")
    # A reader's own token signs; the other reader's token with this cookie does not.
    url = reverse("petitions:sign", args=[petition.pk])
    stolen = second.post(url, {**reader_data(), "csrfmiddlewaretoken": token_one})
    assert stolen.status_code == 403
    signed = second.post(url, {**reader_data(), "csrfmiddlewaretoken": token_two})
    assert signed.status_code == 302


def test_a_reader_with_a_csrf_cookie_keeps_it_in_the_cached_page(petition):
    browser = reader()
    browser.get(petition.get_absolute_url())
    cookie = browser.cookies["csrftoken"].value
    response = browser.get(petition.get_absolute_url())
    assert response["X-Reader-Cache"] == "hit"
    (token,) = TOKEN.findall(response.content.decode())
    data = {**reader_data(), "csrfmiddlewaretoken": token}
    assert browser.post(reverse("petitions:sign", args=[petition.pk]), data).status_code == 302
    assert browser.cookies["csrftoken"].value == cookie


def test_a_member_signature_shows_at_once_for_readers_and_members(
    petition, other_member, django_capture_on_commit_callbacks
):
    confirmed_signers(petition, 3)
    anonymous, watcher = reader(), Client()
    watcher.force_login(UserFactory(first_name="Wanda", last_name="Watch"))
    for browser in (anonymous, watcher):
        browser.get(petition.get_absolute_url())  # cached page, cached parts
        assert count_in(browser.get(petition.get_absolute_url()).content.decode()) == "3"
    signer = Client()
    signer.force_login(other_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = signer.post(
            reverse("petitions:sign", args=[petition.pk]),
            {"comment": "For the river", "show_name": "on"},
        )
    assert response.status_code == 302
    for browser in (anonymous, watcher, signer):
        html = browser.get(petition.get_absolute_url()).content.decode()
        assert count_in(html) == "4"
        latest = html.split('data-testid="latest-signers"', 1)[1].split("</ul>", 1)[0]
        assert "Allen G" in latest
        assert "For the river" in html
    assert "You signed this petition" in signer.get(petition.get_absolute_url()).content.decode()


def test_a_confirmed_reader_signature_and_a_withdrawal_show_at_once(
    petition, django_capture_on_commit_callbacks
):
    browser = reader()
    browser.get(petition.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        signature = services.signature_sign_reader(
            petition_id=petition.pk, first_name="Lucia", last_name="Mar", email="l@x.es",
            country="ES",
        )  # fmt: skip
    # Pending: nothing on the page changes, and the cached page stays.
    assert browser.get(petition.get_absolute_url())["X-Reader-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(
            signature=Signature.objects.select_related("petition").get(pk=signature.pk)
        )
    html = browser.get(petition.get_absolute_url()).content.decode()
    assert count_in(html) == "1" and "Lucia M from Spain" in html
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_withdraw(signature_id=signature.pk)
    html = browser.get(petition.get_absolute_url()).content.decode()
    assert count_in(html) == "0" and "Lucia M" not in html


def test_a_signature_on_one_petition_keeps_the_others_cached(
    petition, other_member, django_capture_on_commit_callbacks
):
    from tests.petitions.factories import PetitionFactory

    other = PetitionFactory(creator=petition.creator, category=petition.category)
    browser = reader()
    browser.get(other.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_sign_member(petition=petition, member=other_member)
    assert browser.get(other.get_absolute_url())["X-Reader-Cache"] == "hit"


def test_an_update_shows_at_once(petition, django_capture_on_commit_callbacks):
    browser = reader()
    browser.get(petition.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.petition_update_post(
            petition=petition, by=petition.creator, title="We met the mayor", body="Good news."
        )
    assert "We met the mayor" in browser.get(petition.get_absolute_url()).content.decode()


def test_member_page_queries_with_the_shared_rendering(
    client, petition, other_member, django_assert_num_queries
):
    confirmed_signers(petition, 500)
    client.force_login(other_member)
    first = client.get(petition.get_absolute_url()).content.decode()
    # One query: the petition's few facts with the member's own signature. The session
    # and the member come from the cache; the page (count, chart, signers, comments,
    # updates) from the shared rendering.
    with django_assert_num_queries(1):
        again = client.get(petition.get_absolute_url()).content.decode()
    assert count_in(again) == "500" and TOKEN.findall(again) and first.count("Signer") > 10


def test_the_anonymous_sign_post_is_one_database_round_trip(
    petition, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_assert_num_queries(1), django_capture_on_commit_callbacks() as callbacks:
        response = Client().post(reverse("petitions:sign", args=[petition.pk]), reader_data())
    assert response.status_code == 302
    assert len(callbacks) == 1  # the confirmation e-mail's task, after the commit
    assert Signature.objects.filter(petition=petition, status="pending").count() == 1


def test_the_one_statement_sign_refuses_as_before(petition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_sign_reader(
            petition_id=petition.pk, first_name="A", last_name="B", email="Same@X.org",
            country="DE",
        )  # fmt: skip
    with pytest.raises(services.PetitionError) as again:
        services.signature_sign_reader(
            petition_id=petition.pk, first_name="A", last_name="B", email="same@x.org ",
            country="DE",
        )  # fmt: skip
    assert again.value.code == "already_signed"
    services.petition_close(petition=petition, by=petition.creator)
    with pytest.raises(services.PetitionError) as closed:
        services.signature_sign_reader(
            petition_id=petition.pk, first_name="C", last_name="D", email="c@x.org",
            country="DE",
        )  # fmt: skip
    assert closed.value.code == "closed"
    response = Client().post(reverse("petitions:sign", args=[petition.pk + 1000]), reader_data())
    assert response.status_code == 404
    assert Signature.objects.count() == 1
