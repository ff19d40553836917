"""Members' story and front pages are rendered once per shape and shared (care2.pagecache):
each member still gets exactly the page rendered for them, nothing of another member's,
and every write shows at once on every cached page it changes."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care2 import pagecache
from care2.users.models import Message
from care2.users.notifications import notify
from care2.users.services import messages_mark_all_read
from comments.models import Tracking
from stories import services as story_services
from stories.models import SavedStory, StoryVisit
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory, make_member_kind

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
KEY = re.compile(r'(name="submission_key" value=")[^"]+(")')
NONCE = re.compile(r'( nonce=")[^"]+(")')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.READER_PAGE_CACHE_SECONDS = 60
    pagecache.RECENT.clear()
    yield
    pagecache.RECENT.clear()


def tokens(html: str) -> set[str]:
    return {m.group(0) for m in TOKEN.finditer(html)}


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens, one-time keys and script nonces (new on every
    render) blanked."""
    return NONCE.sub(r"\1NONCE\2", KEY.sub(r"\1KEY\2", TOKEN.sub(r"\1TOKEN\2", html)))


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def as_member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def actions(html: str, comment) -> str:
    """The action links under ``comment`` on a page."""
    article = re.search(rf'id="comment-{comment.pk}".*?</article>', html, re.S).group(0)
    return re.search(r'<p class="comment-actions small">(.*?)</p>', article, re.S).group(1)


@pytest.fixture
def thread(still_clock):
    """A published story: Beth visited, then wrote a comment; Allen commented after her."""
    beth = UserFactory(first_name="Beth", last_name="Smith")
    allen = UserFactory(first_name="Allen", last_name="Green")
    story = StoryFactory(published=True, submitter=UserFactory())
    now = timezone.now()
    beths = CommentFactory(
        story=story, author=beth, created_at=now - datetime.timedelta(minutes=10)
    )
    StoryVisit.objects.create(
        member=beth, story=story, last_seen_at=now - datetime.timedelta(hours=1)
    )
    allens = CommentFactory(
        story=story, author=allen, created_at=now - datetime.timedelta(minutes=5)
    )
    for n in range(2):
        Message.objects.create(recipient=beth, subject=f"Hello {n}", key=f"hello-{n}")
    return story, beth, allen, beths, allens


def test_two_members_pages_differ_only_where_they_must(thread):
    story, beth, allen, beths, allens = thread
    url = story.get_absolute_url()
    first = get(as_member(beth), url)
    second = get(as_member(allen), url)
    assert first["X-Member-Cache"] == "miss"
    assert second["X-Member-Cache"] == "hit"  # the same shape: one shared rendering
    a, b = first.content.decode(), second.content.decode()
    assert "\x00" not in a and "\x00" not in b

    # Where they must differ: name, profile link, inbox count, CSRF token, own links, new marks.
    assert "<bdi>Beth S</bdi>" in a and "<bdi>Beth S</bdi>" not in b.split("</header>")[0]
    assert "<bdi>Allen G</bdi>" in b and "<bdi>Allen G</bdi>" not in a.split("</header>")[0]
    assert 'aria-label="2 unread">2</span>' in a and 'data-testid="unread-count"' not in b
    assert tokens(a) and tokens(b) and not tokens(a) & tokens(b)
    assert ">Edit</a>" in actions(a, beths) and ">Edit</a>" not in actions(b, beths)
    assert ">Edit</a>" in actions(b, allens) and ">Edit</a>" not in actions(a, allens)
    assert ">Report</a>" in actions(a, allens) and ">Report</a>" not in actions(a, beths)
    assert 'data-testid="new-since-visit"' in a and 'data-testid="new-since-visit"' not in b
    assert f'id="comment-{allens.pk}"' in a and "comment-new" in a and "comment-new" not in b

    # Everywhere else, byte for byte the same.
    def masked(html, me):
        html = without_tokens(html)
        html = re.sub(r'<a href="[^"]*" class="member-name"><bdi>[^<]*</bdi></a>', "NAME", html)
        html = re.sub(r' <span class="badge" data-testid="unread-count"[^>]*>\d+</span>', "", html)
        for comment in (beths, allens):
            html = html.replace(actions(html, comment), "ACTIONS")
        html = re.sub(r"<p class=\"new-since-visit\".*?</p>", "", html, flags=re.S)
        html = html.replace(" comment-new", "").replace(
            '<span class="badge badge-new" data-testid="new-badge">New</span> ', ""
        )
        return html

    assert masked(a, beth) == masked(b, allen)


@pytest.mark.parametrize(
    "kind", ["plain", "moderator", "suspended", "unverified", "staff", "noted_saved_tracking"]
)
def test_the_shared_page_is_the_page_rendered_for_the_member(kind, thread, settings):
    """Filled from the shared rendering, the page is exactly what rendering it for the
    member gives (but for the tokens, new on every render)."""
    story, beth, allen, beths, allens = thread
    if make_member_kind(beth, kind):
        pass
    elif kind == "noted_saved_tracking":
        story_services.story_vet(member=beth, story=story)
        SavedStory.objects.create(member=beth, story=story)
        Tracking.objects.create(member=beth, story=story)
    client = as_member(beth)
    for url in (story.get_absolute_url(), "/"):
        get(client, url)  # records the visit
        settings.READER_PAGE_CACHE_SECONDS = 0
        plain = get(client, url)
        assert "X-Member-Cache" not in plain
        settings.READER_PAGE_CACHE_SECONDS = 60
        get(client, url)
        shared = get(client, url)
        assert shared["X-Member-Cache"] == "hit"
        # The scripts carry this response's own nonce, the one its policy allows.
        nonces = set(re.findall(r' nonce="([^"]+)"', shared.content.decode()))
        assert len(nonces) == 1
        assert f"'nonce-{nonces.pop()}'" in shared["Content-Security-Policy"]
        assert without_tokens(shared.content.decode()) == without_tokens(plain.content.decode())


def test_the_forms_on_a_shared_page_work_without_script(thread, django_capture_on_commit_callbacks):
    """The token and one-time key filled in are the member's own: the comment form posts."""
    story, beth, allen, beths, allens = thread
    url = story.get_absolute_url()
    get(as_member(allen), url)  # the shared page is rendered for Allen's shape
    client = as_member(beth)
    client.handler.enforce_csrf_checks = True
    html = get(client, url).content.decode()
    form = re.search(
        r'<form method="post" action="([^"]+)" class="comment-form.*?</form>', html, re.S
    )
    fields = dict(
        re.findall(r'name="(csrfmiddlewaretoken|submission_key)" value="([^"]+)"', form.group(0))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form.group(1), {**fields, "body": "Posted from the shared page"})
    assert response.status_code == 302
    assert "Posted from the shared page" in get(client, url).content.decode()


@pytest.mark.parametrize("write", ["comment", "vet", "rename"])
def test_a_write_shows_at_once_on_every_cached_page(
    write, thread, django_capture_on_commit_callbacks
):
    story, beth, allen, beths, allens = thread
    writer = UserFactory(first_name="Wanda", last_name="Writer")
    CommentFactory(story=story, author=writer)
    newly = StoryFactory(published=False, title="Waiting in the queue")
    reader, member = Client(), as_member(beth)
    pages = [story.get_absolute_url(), "/", newly.get_absolute_url()]
    for client in (reader, member):
        for url in pages:
            get(client, url)
            assert (
                get(client, url)["X-Member-Cache" if client is member else "X-Reader-Cache"]
                == "hit"
            )
    writing = as_member(writer)
    with django_capture_on_commit_callbacks(execute=True):
        if write == "comment":
            writing.post(reverse("comments:add", args=[story.pk]), {"body": "Fresh words here"})
            expect = {story.get_absolute_url(): "Fresh words here"}
        elif write == "vet":
            writing.post(reverse("stories:vet", args=[newly.pk]))
            expect = {newly.get_absolute_url(): '<strong data-testid="vet-count">1</strong>'}
        else:
            writing.post(
                reverse("settings:index"),
                {"first_name": "Renamed", "last_name": "Person", "time_zone": "UTC"},
            )
            expect = {story.get_absolute_url(): "Renamed P"}
    for client in (reader, member):
        for url, text in expect.items():
            assert text in get(client, url).content.decode(), (client is member, url)


def test_the_header_count_follows_the_inbox(thread, django_capture_on_commit_callbacks):
    story, beth, allen, beths, allens = thread
    client = as_member(beth)
    assert 'aria-label="2 unread"' in get(client, "/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        notify(key="news-1", recipients=[beth], subject="News", body="b", url="/")
    assert 'aria-label="3 unread"' in get(client, "/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        messages_mark_all_read(user=beth)
    assert 'data-testid="unread-count"' not in get(client, "/").content.decode()


def test_moderator_rights_follow_the_group(thread, django_capture_on_commit_callbacks):
    story, beth, allen, beths, allens = thread
    client, url = as_member(beth), story.get_absolute_url()
    assert ">Remove</a>" not in get(client, url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        beth.groups.add(Group.objects.get(name="Moderators"))
    assert ">Remove</a>" in get(client, url).content.decode()


def test_a_shared_member_page_asks_few_queries(thread, django_assert_num_queries):
    """The story with the member's vet, save, visit and tracking, in one query; the front
    page none. The member (row and facts) comes from the cache."""
    story, beth, allen, beths, allens = thread
    client = as_member(beth)
    get(client, story.get_absolute_url())
    get(client, "/")
    with django_assert_num_queries(1) as captured:
        assert get(client, story.get_absolute_url())["X-Member-Cache"] == "hit"
    sql = captured.captured_queries[0]["sql"]
    assert "comments_tracking" in sql and "stories_vet" in sql
    with django_assert_num_queries(0):
        assert get(client, "/")["X-Member-Cache"] == "hit"


def test_the_member_comes_from_the_cache_and_follows_every_change(
    thread, django_assert_num_queries
):
    """The member's row is read once and then kept with their facts; a save, a credit
    (an F() update of the balance), a message or a deletion is seen on the next page."""
    from credits import services as credits

    story, beth, allen, beths, allens = thread
    client = as_member(beth)
    get(client, "/")
    with django_assert_num_queries(0):
        get(client, "/")
    beth.first_name = "Bethany"
    beth.save()
    assert "Bethany" in get(client, "/").content.decode()
    before = get(client, "/").content.decode()
    credits.credit_adjust(member=beth, amount=7, note="A test grant", moderator=allen)
    after = get(client, "/").content.decode()
    assert before != after
    beth.refresh_from_db()
    assert f'data-testid="header-credits">{beth.credits_balance} credits</a>' in after
    beth.delete()
    assert get(client, "/").wsgi_request.user.is_anonymous


def test_a_page_with_a_message_is_rendered_for_the_member(thread):
    story, beth, allen, beths, allens = thread
    client = as_member(beth)
    client.post(reverse("stories:save", args=[story.pk]))  # leaves a message
    response = get(client, story.get_absolute_url())
    assert "X-Member-Cache" not in response
    assert 'class="messages"' in response.content.decode()


def test_edit_links_end_with_the_edit_window(thread, settings):
    story, beth, allen, beths, allens = thread
    old = CommentFactory(
        story=story, author=beth, created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    html = get(as_member(beth), story.get_absolute_url()).content.decode()
    assert ">Edit</a>" in actions(html, beths)
    assert ">Edit</a>" not in actions(html, old) and ">Delete</a>" in actions(html, old)


@pytest.mark.parametrize("kind", ["member", "moderator", "superuser", "inactive"])
def test_the_kept_permissions_are_the_backends(kind):
    from django.contrib.auth.backends import ModelBackend

    from care2.users.facts import member_facts

    user = UserFactory(is_superuser=kind == "superuser", is_active=kind != "inactive")
    if kind in ("moderator", "inactive"):
        user.groups.add(Group.objects.get(name="Moderators"))
    expected = ModelBackend().get_all_permissions(UserFactory._meta.model.objects.get(pk=user.pk))
    assert member_facts(user).permissions == expected


def test_the_recent_pages_stay_within_their_budget():
    def page(n):
        return pagecache.Compiled(200, "text/html", b"x" * n, [], [], [], None)

    recent = pagecache._Recent(budget=1000)
    recent.put("a", page(200), 60)
    recent.put("b", page(200), 60)
    recent.get("a")  # used last: "b" goes first
    recent.put("c", page(240), 60)
    recent.put("d", page(240), 60)
    recent.put("e", page(240), 60)
    assert recent.used <= 1000
    assert recent.get("b") is None and recent.get("a") is not None
    recent.put("huge", page(600), 60)  # over a quarter of the budget: never kept
    assert recent.get("huge") is None
    recent.put("gone", page(10), -1)  # already expired
    assert recent.get("gone") is None
