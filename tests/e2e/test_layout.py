"""The page layout on a wide screen (1280 px) and a phone (360×740): the header is one
row and small, nothing touches it, nothing scrolls sideways; on a phone the menus open
from a "Menu" button, also without JavaScript."""

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from care2.users.models import User
from petitions.models import Petition
from stories.models import Story

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# The first thing painted in <main> (text, a box's background or border, an image, a
# control) and how far it is below the header.
GAP_BELOW_HEADER = """() => {
  const header = document.querySelector("header.site-header").getBoundingClientRect().bottom;
  const main = document.getElementById("main");
  let top = Infinity, what = "";
  const replaced = ["IMG", "svg", "INPUT", "BUTTON", "TEXTAREA", "SELECT", "VIDEO", "CANVAS"];
  for (const el of main.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || el.closest(".visually-hidden")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const painted = style.backgroundColor !== "rgba(0, 0, 0, 0)"
      || parseFloat(style.borderTopWidth) > 0 || replaced.includes(el.tagName);
    if (painted && r.top < top) { top = r.top; what = el.tagName + "." + el.className; }
  }
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim() || node.parentElement.closest(".visually-hidden")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width && r.top < top) { top = r.top; what = "text: " + node.textContent.trim().slice(0, 40); }
    }
  }
  return {gap: top - header, what};
}"""


@pytest.fixture
def demo_pages():
    call_command("load_demo", stdout=io.StringIO())
    member = User.objects.get(email="demo@care2.example")
    client = Client()
    client.force_login(member)
    story = Story.objects.filter(tags__name="repair").first()
    petition = Petition.objects.filter(status=Petition.Status.OPEN).order_by("pk").first()
    pages = {
        "front": "/",
        "story": story.get_absolute_url(),
        "petition": petition.get_absolute_url(),
        "profile": member.get_absolute_url(),
        "my-credits": "/credits/mine/",
    }
    return pages, client.cookies[settings.SESSION_COOKIE_NAME].value


def signed_in(open_browser, live_server, session, **options):
    page = open_browser(**options)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return page


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "360"])
def test_main_pages_header_gap_and_no_sideways_scroll(
    open_browser, live_server, demo_pages, viewport, artifacts_dir
):
    pages, session = demo_pages
    member_page = signed_in(open_browser, live_server, session, viewport=viewport)
    reader_page = open_browser(viewport=viewport)
    width = viewport["width"]
    problems = []
    for who, page in (("member", member_page), ("reader", reader_page)):
        for name, url in pages.items():
            if who == "reader" and name == "my-credits":
                continue
            page.goto(url)
            header = page.locator("header.site-header").bounding_box()["height"]
            scroll = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            below = page.evaluate(GAP_BELOW_HEADER)
            page.screenshot(path=str(artifacts_dir / f"layout-{who}-{name}-{width}.png"))
            if width == 1280 and header > 64:  # one row of links is about 45 px
                problems.append((who, name, "header is more than one row", header))
            if width == 360 and header > 0.15 * viewport["height"]:
                problems.append((who, name, "header takes over 15% of the screen", header))
            if scroll[0] > scroll[1]:
                problems.append((who, name, "scrolls sideways", scroll))
            if below["gap"] < 8:
                problems.append((who, name, "touches the header", below))
    assert not problems, problems


def test_phone_menu_opens_from_the_menu_button_with_and_without_javascript(
    open_browser, live_server, demo_pages, artifacts_dir
):
    pages, session = demo_pages
    for javascript in (True, False):
        page = signed_in(
            open_browser, live_server, session, viewport=PHONE, java_script_enabled=javascript
        )
        page.goto(pages["story"])
        submit = page.get_by_role("link", name="Submit a story")
        assert not submit.is_visible()
        page.locator("summary.menu-toggle").click()
        # Everything the wide header shows is in the open menu, its drop-downs open too.
        for name in ("Stories", "Newly submitted", "Petitions", "Submit a story", "Saved"):
            assert page.get_by_role("link", name=name, exact=True).is_visible(), name
        assert page.get_by_role("button", name="Sign out").is_visible()
        assert page.get_by_label("Search stories and petitions").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        suffix = "js" if javascript else "no-js"
        page.screenshot(path=str(artifacts_dir / f"layout-phone-menu-open-{suffix}.png"))
        submit.click()
        page.wait_for_url(re.compile(r".*/submit/$"))


def test_wide_header_drop_downs_balance_wording_and_tag_commas(
    open_browser, live_server, demo_pages
):
    pages, session = demo_pages
    page = signed_in(open_browser, live_server, session, viewport=WIDE)
    page.goto(pages["front"])
    header = page.locator("header.site-header")
    for name in ("Stories", "Newly submitted", "Petitions", "Start a petition", "Submit a story"):
        assert header.get_by_role("link", name=name, exact=True).is_visible(), name

    # The balance is named as such (the lifetime total after names is "earned").
    balance = page.get_by_test_id("header-credits")
    assert re.fullmatch(r"\d+ credits?", balance.inner_text())
    assert balance.get_attribute("title") == "Butterfly credits you can spend"
    assert header.locator(".header-balance").inner_text().startswith("Balance: ")
    assert page.get_by_role("link", name=re.compile(r"^Balance: \d+ credits?$")).is_visible()
    assert "earned" in page.locator("main .member-number").first.get_attribute("title")

    # Tags read "repair, libraries": no margin between a tag's link and its comma.
    gaps = page.evaluate(
        """() => [...document.querySelectorAll(".tags a")].filter(a => a.nextSibling
             && a.nextSibling.textContent.startsWith(",")).map(a => {
               const range = document.createRange();
               range.setStart(a.nextSibling, 0); range.setEnd(a.nextSibling, 1);
               return range.getBoundingClientRect().left - a.getBoundingClientRect().right;
             })"""
    )
    assert gaps and max(gaps) < 1, gaps

    # "More" and "Search" are drop-downs that open and close.
    sign_out = page.get_by_role("button", name="Sign out")
    assert not sign_out.is_visible()
    header.locator("summary", has_text="More").click()
    assert sign_out.is_visible()
    header.locator("summary", has_text="More").click()
    assert not sign_out.is_visible()
    header.locator("summary", has_text="Search").click()
    page.get_by_label("Search stories and petitions").fill("library")
    page.get_by_label("Search stories and petitions").press("Enter")
    page.wait_for_url(re.compile(r".*/search/\?q=library"))


@pytest.mark.parametrize("width", [1280, 1024, 360])
def test_a_long_name_and_a_large_balance_keep_the_header_in_the_page(
    open_browser, live_server, width, artifacts_dir
):
    """The longest name the header shows and a six-digit balance still fit: the name is
    cut with an ellipsis rather than pushing "More" off the right edge."""
    from tests.factories import UserFactory

    member = UserFactory(first_name="Maximiliana-Josefina", last_name="Wolkenstein")
    User.objects.filter(pk=member.pk).update(credits_balance=123456, credits_earned=123456)
    client = Client()
    client.force_login(member)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page = signed_in(open_browser, live_server, session, viewport={"width": width, "height": 800})
    page.goto("/")
    page.screenshot(path=str(artifacts_dir / f"layout-long-name-{width}.png"))
    scroll = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert scroll[0] <= scroll[1], scroll
    if width == 1280:
        more = page.locator("details.more-menu summary").bounding_box()
        assert more["x"] + more["width"] <= width, more
