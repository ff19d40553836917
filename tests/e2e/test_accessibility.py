"""WCAG 2.2 AA in the browser: axe-core finds no serious or critical violation on the
pages readers and members use most, in the light and the dark theme, at desktop and at
phone width (360 px, where nothing may scroll sideways). A full-page screenshot of each
page at phone width is left in test-results/.

axe-core comes from the npm registry (package.json at the repository root):
``npm ci --no-audit --no-fund`` installs it into node_modules/.
"""

import datetime
import os
import re
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from care2.users.models import Message
from petitions.search import petitions_reindex
from stories.models import StoryVisit
from stories.search import stories_reindex
from tests.comments.factories import CommentFactory
from tests.e2e.conftest import in_thread
from tests.factories import CategoryFactory, StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# AXE_IMPACTS=minor,moderate,serious,critical lists everything axe finds.
BLOCKING_IMPACTS = set(os.environ.get("AXE_IMPACTS", "serious,critical").split(","))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def axe_script() -> str:
    if not AXE_PATH.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_PATH} is missing): run "
            "`npm ci --no-audit --no-fund` at the repository root (`make test` does)."
        )
    return str(AXE_PATH)


def session_cookie(user, base_url: str) -> dict:
    """A signed-in session for ``user``, made before the browser opens."""
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def blocking_violations(page) -> list[str]:
    """Runs axe-core on the page; the serious and critical violations, one line per node."""
    page.add_script_tag(path=axe_script())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            found.append(
                f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                f"at {', '.join(map(str, node['target']))}\n      {node['failureSummary']}"
                f"\n      {node['html'][:200]}"
            )
    return found


def make_site():
    """A member with an inbox, a story with a thread, a petition with signers."""
    category = CategoryFactory(name="Environment & Wildlife", slug="environment-wildlife")
    member = UserFactory(email="ines@example.com", first_name="Ines", last_name="Park")
    neighbour = UserFactory(first_name="Tomas", last_name="Okafor")
    story = StoryFactory(
        published=True,
        category=category,
        title="Volunteers count three hundred swifts nesting under the old bridge",
        tags=["birds", "bridges", "citizen science"],
    )
    StoryFactory(category=category, title="A rain garden for every school playground")
    earlier = timezone.now() - datetime.timedelta(days=2)
    first = CommentFactory(
        story=story,
        author=neighbour,
        body="The count started at dawn; bring binoculars next year.",
        created_at=earlier,
    )
    CommentFactory(story=story, author=member, parent=first, body="I will, thank you!")
    # The member saw the story yesterday: the newest reply is marked as new to them.
    StoryVisit.objects.create(
        member=member, story=story, last_seen_at=timezone.now() - datetime.timedelta(days=1)
    )
    CommentFactory(
        story=story,
        author=neighbour,
        parent=first,
        body="A very long address to check wrapping: https://swifts.example.org/" + "counts/" * 20,
    )
    petition = PetitionFactory(
        category=category,
        creator=neighbour,
        title="Protect the swifts' nesting sites during the bridge repairs",
        target="The County Highways Department",
    )
    SignatureFactory(petition=petition, first_name="Ana", last_name="Lima", comment="Yes!")
    for number in range(3):
        Message.objects.create(
            recipient=member,
            subject=f"Tomas O commented on a story you track ({number + 1})",
            body="The count started at dawn; bring binoculars next year.",
            url=story.get_absolute_url(),
            key=f"a11y-{number}",
            read_at=timezone.now() if number == 0 else None,
        )
    stories_reindex()
    petitions_reindex()
    return member, story, petition


def reader_pages(story, petition):
    return [
        ("front", "/", None),
        ("story-reader", story.get_absolute_url(), None),
        ("petition", petition.get_absolute_url(), None),
        ("sign-errors", petition.get_absolute_url(), submit_sign_form_invalid),
        ("search", "/search/?q=garden", expect_search_results),
        # Beyond the list: the other pages a newcomer meets first.
        ("newly-submitted", "/newly-submitted/", None),
        ("petitions", "/petitions/", None),
        ("login", "/accounts/login/", None),
        ("signup", "/accounts/signup/", None),
    ]


def member_pages(story, member):
    return [
        ("story-member", story.get_absolute_url(), expect_new_comment),
        ("inbox", "/members/inbox/", None),
        ("submit", "/submit/", None),
        ("submit-errors", "/submit/", submit_story_form_empty),
        ("settings", "/settings/", None),
        ("start-petition", "/petitions/start/", None),
        ("my-credits", "/credits/mine/", None),
        ("profile", member.get_absolute_url(), None),
    ]


def expect_search_results(page):
    assert page.locator("mark").count() > 0, "the search found nothing to highlight"


def expect_new_comment(page):
    """The comment written after the member's previous visit carries the "New" badge.
    (Each load moves the visit on, so the test puts it back before the next load.)"""
    assert page.get_by_test_id("new-badge").count() == 1


def submit_sign_form_invalid(page):
    """A reader signs with a bad e-mail and nothing else (browser checks off, as in an old
    browser): the page comes back with the errors tied to their fields."""
    form = page.locator("form.sign-form")
    form.get_by_role("textbox", name="E-mail").fill("not-an-address")
    form.get_by_role("button", name="Sign this petition").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid='true']").count() > 0, "no field is marked invalid"
    invalid = page.locator("[aria-invalid='true']").first
    described = invalid.get_attribute("aria-describedby") or ""
    assert described, "the invalid field names no error message (aria-describedby)"
    assert any(
        page.locator(f"[id='{ident}']").inner_text().strip() for ident in described.split()
    ), "aria-describedby points at no visible text"


def submit_story_form_empty(page):
    page.get_by_role("button", name="Submit story").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid='true']").count() > 0, "no field is marked invalid"


def rewind_visits():
    StoryVisit.objects.update(last_seen_at=timezone.now() - datetime.timedelta(days=1))


def check_pages(page, pages, *, label, artifacts_dir, problems):
    for name, url, action in pages:
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            if action is expect_new_comment:
                in_thread(rewind_visits)
            page.goto(url)
            if action is not None:
                action(page)
            where = f"{name} ({label}, {viewport['width']} px)"
            for violation in blocking_violations(page):
                problems.append(f"{where}: {violation}")
            if viewport is PHONE:
                page.screenshot(
                    path=str(artifacts_dir / f"a11y-{name}-{label}-360.png"), full_page=True
                )
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    wide = page.evaluate(
                        """limit => Array.from(document.querySelectorAll('body *'))
                            .filter(el => el.getBoundingClientRect().right > limit + 1)
                            .slice(0, 5)
                            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                                 + (el.className && typeof el.className === 'string'
                                    ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))""",
                        PHONE["width"],
                    )
                    problems.append(
                        f"{where}: scrolls sideways (scrollWidth {width} px); too wide: {wide}"
                    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_serious_violations_and_fit_a_phone(
    open_browser, live_server, artifacts_dir, scheme
):
    axe_script()
    member, story, petition = make_site()
    cookie = session_cookie(member, live_server.url)
    problems: list[str] = []

    # bypass_csp only lets Playwright inject axe-core as an inline script; the site's own
    # scripts run under the CSP in the other browser tests (test_theme.py among them).
    reader = open_browser(color_scheme=scheme, bypass_csp=True, viewport=DESKTOP)
    check_pages(
        reader,
        reader_pages(story, petition),
        label=f"reader-{scheme}",
        artifacts_dir=artifacts_dir,
        problems=problems,
    )

    signed_in = open_browser(color_scheme=scheme, bypass_csp=True, viewport=DESKTOP)
    signed_in.context.add_cookies([cookie])
    check_pages(
        signed_in,
        member_pages(story, member),
        label=f"member-{scheme}",
        artifacts_dir=artifacts_dir,
        problems=problems,
    )

    assert not problems, f"{len(problems)} accessibility problem(s):\n" + "\n".join(problems)


def test_keyboard_skip_link_and_visible_focus(open_browser, artifacts_dir):
    """The first Tab shows the skip link; Enter moves focus into <main>; every focused
    control draws a focus ring."""
    StoryFactory(published=True, title="Volunteers plant a hedge along the school lane")
    for scheme in ("light", "dark"):
        page = open_browser(color_scheme=scheme, viewport=PHONE)
        page.goto("/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        # Playwright's expect() retries: the browser reports focus and the new URL a
        # moment after the key press, so a one-shot read can race it on a slow machine.
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen"
        page.screenshot(path=str(artifacts_dir / f"a11y-skip-link-{scheme}-360.png"))
        skip.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))
        expect(page.locator("#main")).to_be_focused()
        for _ in range(8):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break  # past the last control
            ring = page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                    return [document.activeElement.outerHTML.slice(0, 80), s.outlineStyle,
                            parseFloat(s.outlineWidth)]; }"""
            )
            assert ring[1] != "none" and ring[2] >= 2, f"no visible focus on {ring[0]}"


def test_missing_axe_core_fails_clearly(monkeypatch, tmp_path):
    """Without node_modules the test says how to install axe-core, not a bare error."""
    monkeypatch.setattr(sys.modules[__name__], "AXE_PATH", tmp_path / "axe.min.js")
    with pytest.raises(pytest.fail.Exception, match="npm ci"):
        axe_script()
