"""The members' petition page is rendered once per shape and shared (care2.pagecache), under
the site's and the petition's own page generations: each member still gets exactly the page
rendered for them, nothing of another member's, and every write shows at once."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care2 import pagecache
from care2.users.models import Message
from petitions import services
from petitions.models import Petition, Signature
from tests.factories import UserFactory, make_member_kind
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
NONCE = re.compile(r'( nonce=")[^"]+(")')
SIGN_BOX = re.compile(r'<section class="petition-sign".*?</section>', re.S)
MANAGE = re.compile(
    r'<p><a class="button button-secondary" href="[^"]+">Manage your petition</a></p>'
)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60
    pagecache.RECENT.clear()
    yield
    pagecache.RECENT.clear()


@pytest.fixture
def carol(db):
    return UserFactory(first_name="Carol", last_name="Creator")


@pytest.fixture
def busy(still_clock, carol, category):
    """Carol's open petition with a few signers, their comments and an update."""
    petition = PetitionFactory(creator=carol, category=category, title="Save the old lime trees")
    for n in range(5):
        SignatureFactory(petition=petition, comment=f"Reason number {n}" if n % 2 else "")
    services.petition_update_post(petition=petition, by=carol, title="First step", body="Met.")
    return petition


def tokens(html: str) -> set[str]:
    return {m.group(0) for m in TOKEN.finditer(html)}


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens and script nonces (new on every render) blanked."""
    return NONCE.sub(r"\1NONCE\2", TOKEN.sub(r"\1TOKEN\2", html))


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response


def as_member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def drop_expired_cookies(client) -> None:
    """What a browser does with a cookie deleted by the response (the message cookie once
    its message is shown); the test client keeps sending it, empty."""
    for name in [name for name, morsel in client.cookies.items() if not morsel.value]:
        del client.cookies[name]


def count_in(html: str) -> str:
    return re.search(r'data-testid="signature-count">([^<]+)<', html).group(1)


def sign_box(html: str) -> str:
    return SIGN_BOX.search(html).group(0)


def header(html: str) -> str:
    return html.split("</header>", 1)[0]


def sign_as(user, petition, hours_ago=0) -> Signature:
    signature = services.signature_sign_member(petition=petition, member=user)
    at = timezone.now() - datetime.timedelta(hours=hours_ago)
    Signature.objects.filter(pk=signature.pk).update(created_at=at, confirmed_at=at)
    return signature


def test_two_members_pages_differ_only_where_they_must(busy, carol, member, other_member):
    url = busy.get_absolute_url()
    dana = UserFactory(first_name="Dana", last_name="Doe")
    sign_as(member, busy, hours_ago=3)
    sign_as(dana, busy, hours_ago=5)
    for n in range(2):
        Message.objects.create(recipient=member, subject=f"Hello {n}", key=f"hello-{n}")

    beth = get(as_member(member), url)
    second = get(as_member(dana), url)
    assert (beth["X-Member-Cache"], second["X-Member-Cache"]) == ("miss", "hit")
    a, d = beth.content.decode(), second.content.decode()
    assert "\x00" not in a and "\x00" not in d
    # Same shape (both signed): only the name, inbox, token and own signing time differ.
    assert "<bdi>Beth S</bdi>" in header(a) and "<bdi>Dana D</bdi>" in header(d)
    assert 'aria-label="2 unread">2</span>' in a and 'data-testid="unread-count"' not in d
    assert tokens(a) and tokens(d) and not tokens(a) & tokens(d)
    assert ">3 hours ago</time>. Thank you!" in sign_box(a)
    assert ">5 hours ago</time>. Thank you!" in sign_box(d)

    def masked(html):
        html = without_tokens(html)
        html = re.sub(r'<a href="[^"]*" class="member-name"><bdi>[^<]*</bdi></a>', "NAME", html)
        html = re.sub(r' <span class="badge" data-testid="unread-count"[^>]*>\d+</span>', "", html)
        return re.sub(r"<time [^>]*>[^<]*</time>\. Thank you!", "SIGNED", html)

    assert masked(a) == masked(d)

    # Other shapes: a member who has not signed gets the sign form in their own name, the
    # creator the Manage link; everything else is the same bytes.
    allen = get(as_member(other_member), url).content.decode()
    creator = get(as_member(carol), url).content.decode()
    assert "You sign as <strong><bdi>Allen G</bdi></strong>" in sign_box(allen)
    assert "You sign as <strong><bdi>Carol C</bdi></strong>" in sign_box(creator)
    assert "Beth" not in sign_box(allen) and "Beth" not in sign_box(creator)
    assert "Manage your petition" in creator
    assert "Manage your petition" not in allen and "Manage your petition" not in a

    def frame(html):
        html = SIGN_BOX.sub("SIGN", MANAGE.sub("", without_tokens(html)))
        html = re.sub(r'data-testid="header-credits">[^<]*<', "BALANCE", html)  # Beth's credit
        html = re.sub(r' <span class="badge" data-testid="unread-count"[^>]*>\d+</span>', "", html)
        return re.sub(r'<a href="[^"]*" class="member-name"><bdi>[^<]*</bdi></a>', "NAME", html)

    assert frame(a) == frame(allen) == frame(creator)


def _make(kind, user, petition, carol):
    """Turn ``user`` into a viewer of ``kind``; the one whose page is compared."""
    if kind == "creator":
        return carol
    if kind == "signed":
        sign_as(user, petition, hours_ago=2)
    elif kind == "removed":
        signature = sign_as(user, petition)
        services.signatures_invalidate(signature_ids=[signature.pk], reason="Duplicate")
    elif make_member_kind(user, kind):
        pass
    elif kind == "closed_signed":
        sign_as(user, petition, hours_ago=4)
        services.petition_close(petition=petition, by=carol)
    elif kind == "hidden_creator":
        services.petitions_hide(petition_ids=[petition.pk], reason="Checking the facts")
        return carol
    return user


@pytest.mark.parametrize(
    "kind",
    [
        "plain",
        "signed",
        "removed",
        "creator",
        "suspended",
        "unverified",
        "staff",
        "moderator",
        "closed_signed",
        "hidden_creator",
    ],
)
def test_the_shared_page_is_the_page_rendered_for_the_member(
    kind, busy, carol, member, other_member, settings
):
    """Filled from the shared rendering, the page is exactly what rendering it for the
    member gives (but for the tokens, new on every render)."""
    viewer = _make(kind, member, busy, carol)
    url = Petition.objects.get(pk=busy.pk).get_absolute_url()
    if kind != "hidden_creator":
        get(as_member(other_member), url)  # another member's page is cached too
    client = as_member(viewer)
    settings.READER_PAGE_CACHE_SECONDS = 0
    plain = get(client, url)
    assert "X-Member-Cache" not in plain
    settings.READER_PAGE_CACHE_SECONDS = 60
    get(client, url)
    shared = get(client, url)
    assert shared["X-Member-Cache"] == "hit"
    html = shared.content.decode()
    assert "\x00" not in html
    # The script carries this response's own nonce, the one its policy allows.
    nonces = set(re.findall(r' nonce="([^"]+)"', html))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in shared["Content-Security-Policy"]
    assert without_tokens(html) == without_tokens(plain.content.decode())
    expected = {
        "signed": "2 hours ago</time>. Thank you!",
        "removed": "was removed by a moderator",
        "creator": "Manage your petition",
        "suspended": 'data-testid="suspended-note"',
        "closed_signed": "You signed this petition <time",
        "hidden_creator": "Hidden by a moderator: Checking the facts",
    }.get(kind, "You sign as <strong><bdi>Beth S</bdi></strong>")
    assert expected in html


def test_a_refused_sign_post_and_a_message_render_fresh(busy, member):
    """The form as typed with what went wrong, and a message shown once, are never the
    shared page (nor kept as it)."""
    url = busy.get_absolute_url()
    client = as_member(member)
    get(client, url)
    assert get(client, url)["X-Member-Cache"] == "hit"
    refused = client.post(
        reverse("petitions:sign", args=[busy.pk]), {"comment": "x" * 1001, "show_name": "on"}
    )
    assert refused.status_code == 400 and "X-Member-Cache" not in refused
    html = refused.content.decode()
    assert "x" * 1001 in html and "at most 1000 characters" in html
    assert "You sign as <strong><bdi>Beth S</bdi></strong>" in html
    assert "\x00" not in html
    # The shared page is untouched: no error, an empty comment box.
    again = get(client, url).content.decode()
    assert "at most 1000 characters" not in again and "x" * 1001 not in again

    signed = client.post(reverse("petitions:sign", args=[busy.pk]), {"show_name": "on"})
    assert signed.status_code == 302
    thanks = get(client, url)
    assert "X-Member-Cache" not in thanks  # the message, once
    assert "Thank you for signing!" in thanks.content.decode()
    drop_expired_cookies(client)
    after = get(client, url)
    assert after["X-Member-Cache"] == "miss"  # the signed shape, rendered once
    assert "Thank you for signing!" not in after.content.decode()
    assert 'data-testid="already-signed"' in after.content.decode()


@pytest.mark.parametrize("write", ["sign", "confirm", "update", "title", "hide", "deadline"])
def test_a_write_shows_at_once_on_the_cached_pages(
    write, busy, carol, member, moderator, django_capture_on_commit_callbacks
):
    url = busy.get_absolute_url()
    reader, watcher, signer = Client(), as_member(UserFactory()), as_member(member)
    browsers = {"reader": reader, "watcher": watcher, "signer": signer}
    for name, browser in browsers.items():
        get(browser, url)
        again = get(browser, url)
        assert again["X-Reader-Cache" if name == "reader" else "X-Member-Cache"] == "hit"
        assert count_in(again.content.decode()) == "5"
    with django_capture_on_commit_callbacks(execute=True):
        if write == "sign":
            response = signer.post(reverse("petitions:sign", args=[busy.pk]), {"show_name": "on"})
            assert response.status_code == 302
            get(signer, url)  # the thank-you message
            drop_expired_cookies(signer)
        elif write == "confirm":
            pending = SignatureFactory(petition=busy, status="pending", first_name="Lucia")
            services.signature_confirm(signature=Signature.objects.get(pk=pending.pk))
        elif write == "update":
            response = as_member(carol).post(
                reverse("petitions:update", args=[busy.pk]),
                {"title": "The council listened", "body": "A vote next week."},
            )
            assert response.status_code == 302
        elif write == "title":
            busy.title = "Save every old lime tree"
            services.petition_edit(petition=busy, by=moderator, fields=["title"])
        elif write == "deadline":  # the periodic close of petitions past their deadline
            Petition.objects.filter(pk=busy.pk).update(deadline=timezone.now())
            assert services.petitions_close_past_deadline() == 1
        else:
            services.petitions_hide(petition_ids=[busy.pk], reason="Under review", by=moderator)
    if write == "deadline":
        for browser in browsers.values():
            assert "This petition is closed" in get(browser, url).content.decode()
        return
    if write == "hide":
        for browser in browsers.values():
            gone = get(browser, url, status=404).content.decode()
            assert "This petition is not available" in gone and "lime trees" not in gone
        creator_page = get(as_member(carol), url).content.decode()
        assert "Hidden by a moderator: Under review" in creator_page
        moderator_page = get(as_member(moderator), url).content.decode()
        assert "Hidden by a moderator: Under review" in moderator_page
        return
    pages = {name: get(browser, url).content.decode() for name, browser in browsers.items()}
    if write in ("sign", "confirm"):
        assert {count_in(html) for html in pages.values()} == {"6"}
        latest = pages["watcher"].split('data-testid="latest-signers"', 1)[1].split("</ul>")[0]
        assert ("Beth S" if write == "sign" else "Lucia") in latest
    if write == "sign":
        assert 'data-testid="already-signed"' in sign_box(pages["signer"])
        assert 'data-testid="already-signed"' not in sign_box(pages["watcher"])
    expect = {"update": "The council listened", "title": "Save every old lime tree"}.get(write)
    if expect:
        assert all(expect in html for html in pages.values())


def test_a_signature_on_one_petition_keeps_the_others_cached(
    busy, carol, member, other_member, django_capture_on_commit_callbacks
):
    other = PetitionFactory(creator=carol, category=busy.category)
    client = as_member(member)
    get(client, other.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_sign_member(petition=busy, member=other_member)
    assert get(client, other.get_absolute_url())["X-Member-Cache"] == "hit"


def test_the_sign_form_on_a_shared_page_works_without_script(
    busy, member, other_member, django_capture_on_commit_callbacks
):
    """The token filled in is the member's own: the sign form posts."""
    url = busy.get_absolute_url()
    get(as_member(other_member), url)  # the shared page is rendered for Allen
    client = as_member(member)
    client.handler.enforce_csrf_checks = True
    page = get(client, url)
    assert page["X-Member-Cache"] == "hit"
    form = re.search(
        r'<form method="post" action="([^"]+)" class="stacked-form sign-form".*?</form>',
        page.content.decode(),
        re.S,
    ).group(0)
    action = re.search(r'action="([^"]+)"', form).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action.replace("&amp;", "&"),
            {"csrfmiddlewaretoken": token, "comment": "From the shared page", "show_name": "on"},
        )
    assert response.status_code == 302
    assert Signature.objects.filter(petition=busy, member=member, status="confirmed").exists()
    assert "From the shared page" in get(client, url).content.decode()
    # And the withdraw form of the signed page, shared with no one yet, posts too.
    signed = get(client, url).content.decode()
    withdraw = re.search(
        r'action="([^"]+/withdraw/)".*?name="csrfmiddlewaretoken" value="([^"]+)"', signed, re.S
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(withdraw.group(1), {"csrfmiddlewaretoken": withdraw.group(2)}).status_code
            == 302
        )
    assert not Signature.objects.filter(petition=busy, member=member).exists()


def test_a_shared_petition_page_asks_few_queries(
    busy, member, other_member, django_assert_max_num_queries
):
    """The user row and one query for the petition's slug, creator, status and hiding with
    the member's own signature; the rest (count, signers, comments, updates, header) comes
    from the cache."""
    SignatureFactory.create_batch(200, petition=busy)
    url = busy.get_absolute_url()
    sign_as(member, busy)
    for user in (member, other_member):
        client = as_member(user)
        get(client, url)
        with django_assert_max_num_queries(2):
            page = get(client, url)
        assert page["X-Member-Cache"] == "hit" and count_in(page.content.decode()) == "206"
