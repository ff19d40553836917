"""A member earns credits by vetting and commenting, watches the header balance rise by
the rule amounts, finds both entries and the chart in "My credits", and redeems them."""

import re

import pytest

from tests.credits.factories import CauseFactory
from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/$"))


def header_balance(page) -> int:
    text = page.get_by_test_id("header-credits").inner_text()
    return int(re.match(r"(\d+) credits", text).group(1))


def test_earn_by_vetting_and_commenting_then_redeem(open_browser, artifacts_dir):
    # Transactional tests start with the seeded rules flushed: the built-in defaults
    # apply (vetting a newly submitted story 3, leaving a comment 1).
    member = UserFactory(first_name="Rosa", last_name="Quint")
    new_story = StoryFactory(title="Seed library opens in the old post office")
    published = StoryFactory(title="Rooftop bees thrive downtown", published=True)
    CauseFactory(title="Send a book to a rural school", slug="school-book", cost=4, stock=10)

    page = open_browser()
    log_in(page, member.email)
    assert header_balance(page) == 0

    page.goto(new_story.get_absolute_url())
    page.get_by_text("3 credits for vetting a newly submitted story").wait_for()
    page.get_by_role("button", name="Note it").click()
    page.get_by_text("Thank you for vetting").wait_for()
    page.reload()
    assert header_balance(page) == 3

    page.goto(published.get_absolute_url())
    page.get_by_label("Please add your comment:").fill("Good to see the hives doing well up there.")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Good to see the hives doing well up there.").first.wait_for()
    page.reload()
    assert header_balance(page) == 4

    page.get_by_test_id("header-credits").click()
    page.get_by_role("link", name="My credits").first.click()
    page.wait_for_url(re.compile(r".*/credits/mine/$"))
    assert page.get_by_test_id("credits-balance").inner_text() == "4"
    assert page.get_by_test_id("credits-earned").inner_text() == "4"
    history = page.locator("table.credits-history tbody tr")
    assert history.count() == 2
    assert "Leaving a comment" in history.nth(0).inner_text()
    assert "Vetting a newly submitted story" in history.nth(1).inner_text()
    chart = page.get_by_test_id("credits-chart")
    assert chart.locator("svg rect").count() == 1
    assert "4 credits earned in the last 90 days" in chart.inner_text()
    page.screenshot(path=str(artifacts_dir / "my-credits.png"), full_page=True)

    page.goto("/credits/")
    page.get_by_role("heading", name="How you earn credits").wait_for()
    page.screenshot(path=str(artifacts_dir / "credits-learn-more.png"), full_page=True)
    page.get_by_role("link", name="My credits").first.click()
    page.get_by_role("link", name="Spend your credits on a cause").click()
    page.get_by_role("link", name="Send a book to a rural school").click()
    page.get_by_label(re.compile("Yes, spend my credits")).check()
    page.get_by_role("button", name="Redeem 4 credits").click()
    page.get_by_text("Thank you! You spent 4 credits").wait_for()
    assert header_balance(page) == 0
    assert page.get_by_test_id("credits-earned").inner_text() == "4"
    assert (
        "Redeemed for Send a book to a rural school"
        in page.locator("table.credits-history").inner_text()
    )
    page.screenshot(path=str(artifacts_dir / "my-credits-redeemed.png"), full_page=True)

    def ledger_agrees():
        from credits.services import credits_reconcile

        member.refresh_from_db()
        return member.credits_balance, member.credits_earned, credits_reconcile().drifts

    assert in_thread(ledger_agrees) == (0, 4, [])
