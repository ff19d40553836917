"""Wording on the rendered pages: no stray space before a comma or full stop, and the two
credit numbers (the balance to spend, the lifetime total after names) named apart."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from care2.users.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
]  # crawls: once per make test, not again at a fixed instant

# A space before these is a template's whitespace leaking into a sentence or a list:
# "repair , libraries", "just now . Thank you", "(Open, 6 days ago )". An ellipsis
# (" ...") is left alone.
STRAY_SPACE = re.compile(r"\s[,.;:!?)](?!\.)")
SKIP = (
    "/accounts/",
    "logout",
    "/delete",
    "/static/",
    "/media/",
    "/admin/",
    "/feeds/",
    "/api/",
    ".xml",
)


class VisibleText(HTMLParser):
    """The text a reader sees in <body>: tags removed (not replaced by spaces, so that
    `</a>, ` stays ", "), scripts, styles and templates left out."""

    HIDDEN = {"script", "style", "template", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in {"p", "li", "div", "section", "br", "td", "th", "h1", "h2", "h3", "dd"}:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return re.sub(r"\s+", " ", "".join(parser.parts))


def stray_spaces(html: str) -> list[str]:
    text = VisibleText.of(html)
    return [text[max(0, m.start() - 40) : m.end() + 20] for m in STRAY_SPACE.finditer(text)]


def test_visible_text_helper_sees_a_stray_space_and_ignores_markup():
    assert stray_spaces("<p><a href='#'>repair</a> , <a>libraries</a></p>")
    assert stray_spaces("<p>signed <time>just now</time>\n. Thank you</p>")
    assert not stray_spaces("<p><a>repair</a>, <a>libraries</a>. Then <b>more</b> ...</p>")
    assert not stray_spaces("<p>ok</p>\n<script>x = 1 , 2</script>")


@pytest.fixture
def demo(settings):
    settings.PETITION_SIGN_RATE = ""
    call_command("load_demo", stdout=io.StringIO())
    # The demo has a member whose name is just "." (as on the original site): legitimate
    # text, but indistinguishable from a stray full stop, so they get a name here.
    User.objects.filter(email="dot@care2.example").update(first_name="Dot", last_name="Tee")


def crawl_for_stray_spaces(client: Client, start: list[str], limit: int):
    problems, seen, queue, kinds = [], set(), list(start), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or any(part in url for part in SKIP):
            continue
        # At most three pages of each shape (/stories/N/slug/ …): the same template
        # rendered again with other rows adds little.
        kind = re.sub(r"\d+", "N", url.split("?")[0])
        if kinds.get(kind, 0) >= 3:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        problems += [(url, found) for found in stray_spaces(html)]
        queue += [href.replace("&amp;", "&") for href in re.findall(r'href="(/[^"#]*)', html)]
    return problems, seen


START = [
    "/",
    "/stories/new/",
    "/petitions/",
    "/credits/",
    "/credits/mine/",
    "/credits/leaderboard/",
    "/credits/causes/",
    "/members/inbox/",
    "/search/?q=library",
]


def test_no_stray_space_before_punctuation_for_readers(demo):
    problems, seen = crawl_for_stray_spaces(Client(), START, limit=150)
    assert len(seen) >= 40
    assert not problems, problems


def test_no_stray_space_before_punctuation_for_members(demo):
    client = Client()
    client.force_login(User.objects.get(email="demo@care2.example"))
    # Noted-by fragments and the member's own signatures ("You signed this petition
    # 2 days ago. Thank you!") are reached through the pages' links.
    problems, seen = crawl_for_stray_spaces(client, START, limit=150)
    assert len(seen) >= 40
    assert any(url.startswith("/petitions/") for url in seen)
    assert not problems, problems


@pytest.mark.parametrize(
    "source",
    [
        "{% time_ago when %}.",
        "{% member someone %}, {% member someone %}.",
        "({% avatar someone 32 %})",
    ],
)
def test_inline_tags_leave_no_whitespace_around_themselves(member, source):
    html = Template(source).render(Context({"when": timezone.now(), "someone": member}))
    assert not re.search(r"\s[,.)]", html)
    assert html == html.strip()


def test_balance_and_lifetime_credits_are_named_apart(client, member):
    """The header's number is the balance (to spend); the number after a name is the
    lifetime total (earned). Spending lowers the first only."""
    from credits import services
    from tests.credits.factories import CauseFactory

    services.credit_adjust(member=member, amount=8, note="test credits")
    services.cause_redeem(member=member, cause=CauseFactory(cost=3), token="t")
    client.force_login(member)

    html = client.get(member.get_absolute_url()).content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert '<span id="header-balance-label">Balance:</span>' in header
    assert 'title="Butterfly credits you can spend"' in header
    assert re.search(r'data-testid="header-credits">5 credits</a>', header)
    assert "(8)" not in header
    main = html[html.index("<main") :]
    assert re.search(r'class="member-number" title="[^"]*earned[^"]*">\(8\)', main)

    causes = client.get("/credits/causes/").content.decode()
    assert "Your balance: <strong>5</strong> butterfly credits to spend." in causes
    mine = client.get("/credits/mine/").content.decode()
    assert re.search(r"<dt>Balance</dt><dd>.*>5</strong> credits to spend", mine)
    assert re.search(r"<dt>Earned in all</dt><dd>.*>8</strong> credits", mine)
