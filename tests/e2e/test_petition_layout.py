"""The petition page in Chromium: the sign form in view at load (beside the text on a
desktop, right after the count on a phone), no sideways scrolling at 360 px, a legible
chart, and embed code that is safe to paste."""

import datetime

import pytest
from django.utils import timezone

from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, CategoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db(transaction=True)

WHY = "\n\n".join(
    [
        "The riverside path is the only route to school that avoids the ring road. "
        "Hundreds of children walk it every morning, and their parents walk it home. "
        "Closing it at dusk sends them onto a four-lane road without a pavement."
    ]
    * 8
)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def make_petition(title="Keep the riverside path open after dark for everyone"):
    category = CategoryFactory(name="Society & Culture", slug="society-culture")
    petition = PetitionFactory(title=title, category=category, why=WHY, why_html=WHY)
    now = timezone.now()
    for days_ago, n in ((0, 4), (3, 2), (12, 7), (25, 1)):
        SignatureFactory.create_batch(
            n, petition=petition, confirmed_at=now - datetime.timedelta(days=days_ago)
        )
    return petition


def box(page, selector):
    return page.locator(selector).bounding_box()


def no_sideways_scrolling(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("who", ["reader", "member"])
def test_sign_form_is_beside_the_text_and_in_view_on_a_desktop(open_browser, artifacts_dir, who):
    petition = make_petition()
    url = petition.get_absolute_url()
    member = UserFactory(first_name="Nadia", last_name="Quill") if who == "member" else None
    page = open_browser(viewport=DESKTOP)
    if member:
        log_in(page, member.email)
    page.goto(url)
    page.screenshot(path=artifacts_dir / f"petition-layout-1280-{who}.png")
    form = box(page, "form.sign-form")
    text = box(page, ".petition-why")
    assert form["y"] >= 0 and form["y"] + form["height"] <= DESKTOP["height"]
    assert form["x"] >= 0 and form["x"] + form["width"] <= DESKTOP["width"]
    assert form["x"] > text["x"] + text["width"]  # beside the text, to its right
    assert page.get_by_role("button", name="Sign this petition").is_visible()
    assert no_sideways_scrolling(page)


@pytest.mark.parametrize("who", ["reader", "member"])
def test_sign_form_comes_first_on_a_phone(open_browser, artifacts_dir, who):
    petition = make_petition()
    url = petition.get_absolute_url()
    member = UserFactory(first_name="Nadia", last_name="Quill") if who == "member" else None
    page = open_browser(viewport=PHONE, is_mobile=True, has_touch=True)
    if member:
        log_in(page, member.email)
    page.goto(url)
    page.screenshot(path=artifacts_dir / f"petition-layout-360-{who}.png", full_page=True)
    count = box(page, "[data-testid=signature-count]")
    form = box(page, "form.sign-form")
    text = box(page, ".petition-why")
    assert count["y"] < form["y"] < text["y"]  # right after the title and count
    # It starts in view at load, its first field too (the whole reader form is taller
    # than a phone's screen once the site's header and the title are above it).
    first_field = page.locator(
        "form.sign-form textarea, form.sign-form input[type=text]"
    ).first.bounding_box()
    assert form["y"] < first_field["y"] + first_field["height"] <= PHONE["height"]
    assert form["x"] >= 0 and form["x"] + form["width"] <= PHONE["width"]
    assert no_sideways_scrolling(page)


def test_chart_is_legible_at_360_px(open_browser, artifacts_dir):
    petition = make_petition()
    page = open_browser(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(petition.get_absolute_url())
    chart = page.locator(".petition-chart")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=artifacts_dir / "petition-chart-360.png")
    plot = box(page, ".petition-chart svg")
    assert plot["x"] >= 0 and plot["x"] + plot["width"] <= PHONE["width"]
    labels = page.locator(".petition-chart .day-chart-axis span")
    assert labels.count() == 3
    sizes = labels.evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 12
    assert no_sideways_scrolling(page)


def test_credits_chart_is_legible_at_360_px(open_browser, artifacts_dir):
    from credits.services import Action, credit_award
    from tests.factories import StoryFactory

    member = UserFactory(first_name="Nadia", last_name="Quill")
    story = StoryFactory()
    credit_award(member=member, action=Action.VET_NEW, target=story, key="vet:1")
    page = open_browser(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, member.email)
    page.goto("/credits/mine/")
    chart = page.locator("[data-testid=credits-chart]")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=artifacts_dir / "credits-chart-360.png")
    plot = chart.locator("svg").bounding_box()
    assert plot["x"] >= 0 and plot["x"] + plot["width"] <= PHONE["width"]
    sizes = chart.locator(".day-chart-axis span, .day-chart-peak").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert len(sizes) == 4 and min(sizes) >= 12
    assert no_sideways_scrolling(page)


def test_pasted_embed_code_has_no_injected_attributes(open_browser, artifacts_dir):
    title = 'Save the bees now" onload="document.title=\'pwned\'" x="'
    petition = make_petition(title=title)
    page = open_browser(viewport=DESKTOP)
    page.goto(petition.get_absolute_url())
    page.get_by_text("Put this petition on your site").click()
    code = page.locator("#embed-code").input_value()  # what a site owner copies
    other_site = open_browser()
    other_site.set_content(f"<!DOCTYPE html><title>A site</title><body>{code}</body>")
    iframe = other_site.locator("iframe")
    assert iframe.count() == 1
    attributes = iframe.evaluate("el => el.getAttributeNames()")
    assert "onload" not in attributes and "x" not in attributes
    assert iframe.get_attribute("title") == title
    assert other_site.title() == "A site"
    assert in_thread(lambda: petition.title) == title
