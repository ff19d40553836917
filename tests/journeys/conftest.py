"""The journey suite: whole stories that people live on the site, in Chromium.

Each journey runs against pytest-django's live server (never on port 8000, so a link
that still points at ``make run``'s address is caught), with one browser context per
person, following the links in the e-mails the site sends exactly as they were sent.
Every journey runs with and without JavaScript; screenshots of each step at 1280 and
360 px go to ``test-results/journeys/`` (printed at the end of the run), and each step
checks the layout: no horizontal overflow at 360 px, no box touching the header, and the
header on one row at 1280 px.

Each journey gets a Playwright and a Chromium of its own, started when its first person
opens a page and stopped as soon as the journey's body ends. While they run, Playwright's
event loop is registered in the test's thread and Django rightly refuses the ORM there:
so a journey creates its data before its first person, and while the browser is open
reaches the database only through ``tests.e2e.conftest.in_thread``. Nothing tells Django
to allow it anyway (that leaks a connection the test database's teardown then trips on),
and pytest-django's flush and the credits-ledger check after each test run with the
browser already stopped.
"""

import email
import email.policy
import functools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.factories import PASSWORD

WIDE, NARROW = 1280, 360
JOURNEYS_DIR = (
    Path(
        os.environ.get(
            "TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent.parent / "test-results"
        )
    )
    / "journeys"
)

# Every journey is lived twice: with script, and with script disabled.
JS_MODES = pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])


def pytest_collection_modifyitems(items):
    for item in items:
        if "/journeys/" in str(item.fspath):
            # Browser tests like tests/e2e/ (``-m "not e2e"`` leaves them out too).
            item.add_marker(pytest.mark.journey)
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter):
    if JOURNEYS_DIR.exists() and getattr(terminalreporter.config, "_journeys_ran", False):
        terminalreporter.write_line(f"Journey screenshots: {JOURNEYS_DIR}")


# --- The browser: one per journey --------------------------------------------------------


class Browser:
    """Playwright and Chromium for one journey: started by the first ``new_context`` (so
    after the journey made its data), stopped by ``stop`` (idempotent)."""

    def __init__(self, executable_path: str):
        self.executable_path = executable_path
        self._playwright = None
        self._chromium = None
        self._contexts = []

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def new_context(self, **options):
        if self._chromium is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._chromium = self._playwright.chromium.launch(
                executable_path=self.executable_path, args=CHROMIUM_ARGS, headless=True
            )
        context = self._chromium.new_context(**options)
        self._contexts.append(context)
        return context

    def stop(self) -> None:
        playwright, chromium, contexts = self._playwright, self._chromium, self._contexts
        self._playwright, self._chromium, self._contexts = None, None, []
        if playwright is None:
            return
        try:
            for context in contexts:
                context.close()
            chromium.close()
        finally:
            playwright.stop()


@pytest.fixture
def browser(live_server):
    """This journey's browser (see ``Browser``); stopped when the journey's body ends."""
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package.")
    session = Browser(path)
    yield session
    session.stop()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item):
    """Stop the journey's browser as soon as its body ends: ``trylast`` makes this the
    innermost wrapper, so it runs before tests/conftest.py's ledger check (which uses the
    ORM in this thread), and before any fixture's teardown (pytest-django's flush)."""
    try:
        return (yield)
    finally:
        session = getattr(item, "funcargs", {}).get("browser")
        if isinstance(session, Browser):
            session.stop()


# --- What the data migrations made ---------------------------------------------------------


@functools.cache
def _moderator_grants():
    """The data migrations' functions that make the Moderators group and give it its
    permissions (those calling ``grant_moderator_permissions``), in migration order, with
    the app registry of the migrated project they run on."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan += [node for node in loader.graph.forwards_plan(leaf) if node not in plan]
    grants = [
        operation.code
        for node in plan
        for operation in loader.graph.nodes[node].operations
        if isinstance(operation, RunPython)
        and "grant_moderator_permissions" in operation.code.__code__.co_names
    ]
    return loader.project_state().apps, grants


@pytest.fixture(autouse=True)
def _migrations_data(transactional_db):
    """Journeys run in transactional tests (the live server sees their data), and the flush
    after each transactional test empties every table, the rows data migrations wrote
    too. The Moderators group is replayed here with the migrations' own functions.
    (``serialized_rollback`` is no way out: after another test's flush, post_migrate
    has made the content types again under other ids, and restoring the serialized
    ones fails on their unique names.) Credit rules need nothing: the ledger makes a
    missing rule with its default."""
    from django.db import transaction

    state_apps, grants = _moderator_grants()
    with transaction.atomic():
        for grant in grants:
            grant(state_apps, None)


@pytest.fixture
def site(live_server, settings, tmp_path, request):
    """The running site as people reach it: links in e-mails on the live server's port,
    the readers' page cache on as in production, uploads in a temporary folder."""
    port = int(live_server.url.rsplit(":", 1)[1])
    assert port != 8000, "the journeys must not run on make run's port"
    settings.SITE_URL = live_server.url
    settings.READER_PAGE_CACHE_SECONDS = 60
    settings.MEDIA_ROOT = tmp_path / "media"
    request.config._journeys_ran = True
    return live_server


@pytest.fixture
def person(browser, site, request):
    """``person(name, js=True, viewport=...)``: a fresh browser context (own cookies) for
    one person, and a page in it on the live server. The first person starts the
    browser: make the journey's data before."""

    def _person(name: str, *, js: bool = True, viewport: dict | None = None):
        context = browser.new_context(
            base_url=site.url,
            java_script_enabled=js,
            viewport=viewport or {"width": WIDE, "height": 900},
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.person = name
        return page

    return _person


# --- Mail, read as sent -------------------------------------------------------------------


@dataclass
class SentMail:
    """One e-mail the site sent, parsed back from its serialized bytes."""

    to: list[str]
    subject: str
    raw: bytes
    parsed: email.message.EmailMessage
    text: str
    links: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        value = self.parsed.get(name)
        return None if value is None else str(value)

    def link(self, contains: str) -> str:
        """The one link whose URL contains ``contains``: on the live server, unbroken in
        the message's bytes as well as in its decoded text."""
        found = [url for url in self.links if contains in url]
        assert found, f"no link with {contains!r} in the e-mail {self.subject!r}:\n{self.text}"
        url = found[0]
        from django.conf import settings

        assert url.startswith(f"{settings.SITE_URL}/"), (
            f"the e-mail links to {url}, not to the running site {settings.SITE_URL}"
        )
        if url.encode() not in self.raw:
            self.findings.append(
                f"e-mail {self.subject!r}: {url} is broken up in the serialized message"
            )
        return url


class Outbox:
    """The site's sent mail (Django's test outbox), oldest first."""

    def __init__(self, findings: list[str]):
        self.findings = findings

    def all(self) -> list[SentMail]:
        from django.core import mail

        sent = []
        for message in list(mail.outbox):
            raw = message.message().as_bytes()
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            links = [url.rstrip(".,;)>") for url in re.findall(r"https?://[^\s<>\"]+", text)]
            sent.append(
                SentMail(
                    to=[str(a) for a in message.to],
                    subject=str(parsed["Subject"]),
                    raw=raw,
                    parsed=parsed,
                    text=text,
                    links=links,
                    findings=self.findings,
                )
            )
        return sent

    def for_address(self, address: str) -> list[SentMail]:
        return [m for m in self.all() if address.lower() in (a.lower() for a in m.to)]

    def latest(self, address: str, subject: str = "", wait: float = 10.0) -> SentMail:
        """The newest e-mail to ``address`` (whose subject contains ``subject``). Mail is
        sent by the live server's thread once the request's transaction commits, so this
        waits for it to arrive (up to ``wait`` seconds) rather than for a fixed time."""
        deadline = time.monotonic() + wait
        while True:
            found = [m for m in self.for_address(address) if subject in m.subject]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                subjects = [(m.to, m.subject) for m in self.all()]
                raise AssertionError(f"no e-mail to {address} about {subject!r}; sent: {subjects}")
            time.sleep(0.05)

    def count(self, address: str) -> int:
        return len(self.for_address(address))


@pytest.fixture
def findings(request):
    """Problems a person can live past (a layout fault, a link folded in the message's
    bytes while its decoded text is whole): recorded, so the journey goes on to tell what
    else the person sees, and the journey fails at its end with all of them."""
    found: list[str] = []
    yield found
    if found and not getattr(request.node, "rep_call_failed", True):
        pytest.fail("\n".join(dict.fromkeys(found)), pytrace=False)


@pytest.fixture
def outbox(site, findings):
    return Outbox(findings)


# --- Layout checks and screenshots --------------------------------------------------------

LAYOUT_SCRIPT = """
(width) => {
  const problems = [];
  const doc = document.documentElement;
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (el.classList.length) text += '.' + Array.from(el.classList).join('.');
    return text;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none' && rect.width > 0 && rect.height > 0;
  };
  if (doc.scrollWidth > doc.clientWidth + 1) {
    const wide = Array.from(document.body.querySelectorAll('*'))
      .filter((el) => visible(el) && el.getBoundingClientRect().right > doc.clientWidth + 1)
      .slice(-5).map(describe);
    problems.push(`horizontal overflow at ${width}px: the page is ${doc.scrollWidth}px wide (${wide.join(', ')})`);
  }
  const header = document.querySelector('header.site-header');
  if (header) {
    const bottom = header.getBoundingClientRect().bottom + window.scrollY;
    const looksLikeBox = (el) => {
      const style = getComputedStyle(el);
      const bordered = ['Top', 'Left', 'Right'].some((side) => parseFloat(style['border' + side + 'Width']) > 0 && style['border' + side + 'Style'] !== 'none');
      const filled = style.backgroundColor !== 'rgba(0, 0, 0, 0)' && style.backgroundColor !== 'transparent';
      return bordered || filled || style.boxShadow !== 'none';
    };
    for (const el of document.body.querySelectorAll('main *, main, footer *')) {
      if (!visible(el) || !looksLikeBox(el)) continue;
      const top = el.getBoundingClientRect().top + window.scrollY;
      if (top < bottom + 1 && top > bottom - 200 && el.getBoundingClientRect().bottom + window.scrollY > bottom) {
        problems.push(`${describe(el)} touches the header at ${width}px (its top ${Math.round(top)}px, the header ends at ${Math.round(bottom)}px)`);
        break;
      }
    }
    if (width >= 1280) {
      const row = header.querySelector('.header-row') || header;
      // Drop-down panels open below the header: only what lies within it makes its rows.
      const headerBottom = header.getBoundingClientRect().bottom + 1;
      const items = Array.from(row.children).concat(Array.from(row.querySelectorAll('li')))
        .filter((el) => visible(el) && el.getBoundingClientRect().bottom <= headerBottom);
      if (items.length) {
        const rects = items.map((el) => el.getBoundingClientRect());
        const lowestTop = Math.max(...rects.map((r) => r.top));
        const highestBottom = Math.min(...rects.map((r) => r.bottom));
        if (lowestTop >= highestBottom) {
          const wrapped = items.filter((el, i) => rects[i].top >= highestBottom).map(describe);
          problems.push(`the header is more than one row at ${width}px (${wrapped.slice(0, 4).join(', ')} wrapped)`);
        }
      }
    }
  }
  return problems;
}
"""


def layout_problems(page, width: int) -> list[str]:
    return page.evaluate(LAYOUT_SCRIPT, width)


def check_layout(page) -> None:
    """Fails on horizontal overflow at 360 px, a box touching the header (at 360 and
    1280 px) or a header on more than one row at 1280 px. Leaves the page at 1280 px."""
    original = page.viewport_size
    problems = []
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        problems += layout_problems(page, width)
    page.set_viewport_size(original)
    assert not problems, f"{page.url}: " + "; ".join(problems)


@pytest.fixture
def snap(request, findings):
    """``snap(page, step)``: screenshots of the page at 1280 and 360 px into
    ``test-results/journeys/<journey>/``, and the layout checked at both widths.

    A layout problem does not stop the journey (see ``findings``)."""
    journey = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    folder = JOURNEYS_DIR / request.module.__name__.rsplit(".", 1)[-1] / journey
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = {"n": 0}
    problems = findings

    def _snap(page, step: str) -> None:
        counter["n"] += 1
        name = f"{counter['n']:02d}-{getattr(page, 'person', 'page')}-{step}"
        name = re.sub(r"[^\w.-]+", "-", name)
        original = page.viewport_size
        for width in (WIDE, NARROW):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
            problems.extend(f"{step} ({page.url}): {p}" for p in layout_problems(page, width))
        page.set_viewport_size(original)

    _snap.folder = folder
    return _snap


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed
        found = item.funcargs.get("findings") if hasattr(item, "funcargs") else None
        if report.failed and found:
            report.sections.append(("also found on the way", "\n".join(dict.fromkeys(found))))
    return report


# --- Helpers every journey uses -----------------------------------------------------------


def log_in(page, email_address: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    from playwright.sync_api import expect

    expect(page.locator("header .member-name")).to_be_visible()


def header_balance(page) -> int:
    """The credits balance the header shows (the link that reads "N credits")."""
    text = page.locator("header a", has_text=re.compile(r"\d+ credits?")).first.inner_text()
    return int(re.search(r"(\d+) credits?", text).group(1))
