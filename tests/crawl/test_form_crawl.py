"""Fill in and submit every form on the site as a reader, a member, a suspended member
and a moderator (the admin included): never a 5xx, and never stored markup shown as text.

The demo content is seeded with a comment holding a link, saved through the real
service (which keeps it as a real link) by a member the personas track: so the link
reaches the personas' inboxes, the commenter's profile and the thread, and none of them
may show it as ``<a href="https://example.org">`` text.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from care2.users.models import User
from care2.users.services import user_suspend
from comments.services import comment_create, tracking_start
from stories.models import Story
from tests.crawl.harness import Crawler, PageParser, Persona, escaped_markup
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
]  # crawls: once per make test, not again at a fixed instant

LINK_COMMENT = 'The council\'s minutes are <a href="https://example.org/minutes">here</a>.'
PERSONAS = {
    "reader": (None, ""),
    "member": ("demo@care2.example", "care2-demo-pass"),
    "suspended member": ("beth@care2.example", "care2-member-pass"),
    "moderator": ("moderator@care2.example", "care2-moderator-pass"),
}


@pytest.fixture
def site(db, settings, django_capture_on_commit_callbacks):
    """The demo content, members who joined a month ago (new members may not start
    petitions), Beth suspended, and a link comment that the personas track."""
    # The crawl posts many forms quickly: rate limits would answer 429 before the forms
    # see the values.
    settings.COMMENT_RATE = "100000/m"
    settings.PETITION_SIGN_RATE = ""
    settings.API_RATE = ""
    call_command("load_demo", stdout=io.StringIO())
    User.objects.update(date_joined=timezone.now() - datetime.timedelta(days=30))
    story = Story.objects.filter(status=Story.Status.PUBLISHED).order_by("-published_at").first()
    commenter = UserFactory(first_name="Linda", last_name="Link")
    for email, _ in PERSONAS.values():
        if email:
            tracking_start(member=User.objects.get(email=email), story=story)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=commenter, story=story, body=LINK_COMMENT)
    user_suspend(
        user=User.objects.get(email="beth@care2.example"),
        by=User.objects.get(email="moderator@care2.example"),
        reason="Crawl: a suspended member",
    )
    return {"story": story, "commenter": commenter}


def persona(name: str) -> Persona:
    email, password = PERSONAS[name]
    # A 500 comes back as a response to record, not as an exception ending the crawl.
    client = Client(raise_request_exception=False)
    if email is None:
        return Persona(name, client)
    user = User.objects.get(email=email)

    def login():
        # Logging in records the suspension the session was opened under, so a
        # suspended member stays signed in to read (care2.users.signals).
        client.force_login(User.objects.get(pk=user.pk))

    login()
    return Persona(name, client, password=password, user_pk=user.pk, login=login)


def start_pages(site, name: str) -> list[str]:
    pages = ["/", site["story"].get_absolute_url(), site["commenter"].get_absolute_url()]
    if name != "reader":
        pages.append("/members/inbox/")
    if name == "moderator":
        pages.append("/admin/")
    return pages


@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_form_filled_in_and_submitted(site, name):
    result = Crawler(persona(name)).run(start_pages(site, name))
    assert not result.problems, (
        f"{len(result.problems)} problems in {len(result.pages)} pages and "
        f"{len(result.forms)} kinds of form:\n{result.report()}"
    )
    assert not result.sessions_ended, result.sessions_ended
    # The crawl reached the site, its forms and (for the moderator) the admin.
    assert len(result.pages) >= 60 and len(result.forms) >= 5
    if name == "moderator":
        assert sum("/admin/" in page for page in result.pages) >= 20


# --- the crawler's own parts ------------------------------------------------------------


def test_forms_without_an_action_post_to_their_page():
    page = PageParser("/stories/1/x/?page=2")
    page.feed(
        '<form method="post"><input name="a"></form>'
        '<form method="post" action=""><textarea name="b">t</textarea></form>'
        '<form action="/search/"><input type="search" name="q"></form>'
        '<form method="post" action="../report/" enctype="multipart/form-data">'
        '<input type="file" name="image"><select name="c"><option value="">-</option>'
        '<option value="2">two</option></select></form>'
    )
    assert [(f.method, f.action) for f in page.forms] == [
        ("post", "/stories/1/x/?page=2"),
        ("post", "/stories/1/x/?page=2"),
        ("get", "/search/"),
        ("post", "/stories/1/report/"),
    ]
    assert page.forms[1].fields[0].value == "t"
    assert page.forms[3].fields[1].options == [("", False), ("2", False)]


def test_markup_shown_as_text_is_found_but_typed_tags_are_not():
    page = PageParser("/")
    page.feed(
        "<p>Fine: <a href='https://example.org'>a link</a>, &lt;b&gt;typed&lt;/b&gt;,"
        " &lt;a href=x&gt; typed too</p><textarea>&lt;a href=&quot;https://example.org"
        "&quot;&gt;</textarea>"
    )
    assert escaped_markup(page.text) == []
    for shown in (
        "&lt;a href=&quot;https://example.org&quot;&gt;x&lt;/a&gt;",
        '&lt;a href="https://example.org"&gt;x',
        "&amp;lt;a href=&amp;quot;https://example.org",
        "first&lt;p&gt;second",
    ):
        page = PageParser("/")
        page.feed(f"<div>{shown}</div>")
        assert escaped_markup(page.text), shown
