"""With JavaScript, a vet, save or track posted in the background updates every part of
the page it changes (vote box, Noted-by list, status badge, the header's credits and
inbox), on the story page and on Newly Submitted's cards, without a reload; a failure
shows the site's message beside the button and the page stays where it is."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from care2.users.models import Message
from stories import services
from stories.models import Story, Vet
from tests.e2e.conftest import in_thread
from tests.e2e.test_stories import log_in
from tests.factories import StoryFactory, UserFactory, VetFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _message_for(member, key):
    Message.objects.create(recipient=member, subject="A reply", key=key)


def test_note_it_updates_noted_by_header_and_badge(open_browser, settings, artifacts_dir):
    settings.STORY_PROMOTE_AT_VETS = 1
    story = StoryFactory(title="Hedgehog highways open in the suburbs")
    member = UserFactory(email="ivy@example.com", first_name="Ivy", last_name="Marsh")
    page = open_browser()
    log_in(page, member.email)
    page.goto(story.get_absolute_url())
    url = page.url
    page.evaluate("window.__samePage = true")
    expect(page.locator("#noted-by")).to_contain_text("No one has noted this story yet")
    expect(page.get_by_test_id("header-credits")).to_have_text("0 credits")
    expect(page.locator("#story-byline .badge-new")).to_have_text("Newly submitted")
    expect(page.locator("#comments")).to_contain_text("Comments open once")

    page.get_by_role("button", name="Note it").click()

    expect(page.locator("#noted-by")).to_contain_text("Ivy M")
    expect(page.locator("#noted-by")).not_to_contain_text("No one has noted")
    expect(page.get_by_test_id("header-credits")).to_have_text("3 credits")
    expect(page.locator("#story-byline .badge-new")).to_have_count(0)
    expect(page.get_by_test_id("vet-count")).to_have_text("1")
    expect(page.locator("#vetting")).not_to_contain_text("needed for the front page")
    expect(page.locator("#live-messages")).to_contain_text("put this story on the front page")
    expect(page.locator("#vetting")).to_be_focused()
    # Promotion opens the comments.
    expect(page.locator("#comments")).not_to_contain_text("Comments open once")
    expect(page.get_by_role("button", name="Post comment")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "vet-parts-story-page.png"), full_page=True)

    # Save and Track refresh the header too: a message that arrived meanwhile shows.
    in_thread(_message_for, member, "one")
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_role("button", name="Remove from saved stories")).to_be_focused()
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    in_thread(_message_for, member, "two")
    page.get_by_role("button", name="Track comments").click()
    expect(page.get_by_text("You track comments on this story.")).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_text("2")

    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert page.url == url
    assert in_thread(lambda: Story.objects.get(pk=story.pk).status) == Story.Status.PUBLISHED


def test_note_it_on_newly_submitted_cards(open_browser, settings, artifacts_dir):
    settings.STORY_PROMOTE_AT_VETS = 2
    member = UserFactory(email="oak@example.com")
    almost = StoryFactory(title="Almost there: the river clean-up", vet_count=1)
    VetFactory(story=almost)
    fresh = StoryFactory(title="Fresh: bees on the station roof")
    noted = StoryFactory(title="Already noted: the seed library")
    VetFactory(story=noted, member=member)
    StoryFactory(title="Mine: the repair café", submitter=member)
    page = open_browser()
    log_in(page, member.email)
    page.goto("/newly-submitted/")
    url = page.url
    page.evaluate("window.__samePage = true")

    def card(story):
        return page.locator(".story-card", has=page.get_by_role("link", name=story.title))

    expect(card(noted).get_by_test_id("card-noted")).to_have_text("Noted")
    expect(page.locator(".story-card", has_text="Mine: the repair café")).to_contain_text(
        "Your story"
    )
    page.screenshot(path=str(artifacts_dir / "vet-parts-newly-submitted.png"), full_page=True)

    card(fresh).get_by_role("button", name=re.compile("^Note it")).click()
    expect(card(fresh).get_by_test_id("card-noted")).to_be_visible()
    expect(card(fresh)).to_contain_text("1 note ")
    expect(card(fresh).locator(".badge-new")).to_be_visible()
    expect(page.get_by_test_id("header-credits")).to_have_text("3 credits")

    card(almost).get_by_role("button", name=re.compile("^Note it")).click()
    expect(card(almost).get_by_test_id("card-noted")).to_be_visible()
    expect(card(almost)).to_contain_text("2 notes")
    expect(card(almost).locator(".badge-new")).to_have_count(0)
    expect(page.locator("#live-messages")).to_contain_text("put this story on the front page")
    expect(page.get_by_test_id("header-credits")).to_have_text("6 credits")
    page.screenshot(path=str(artifacts_dir / "vet-parts-card-noted.png"), full_page=True)

    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert page.url == url
    assert in_thread(lambda: Vet.objects.filter(member=member).count()) == 3


def test_failures_show_in_place_and_the_page_stays(open_browser, artifacts_dir):
    story = StoryFactory(title="Wildflower verges along the ring road")
    member = UserFactory(email="fern@example.com")
    page = open_browser()
    log_in(page, member.email)
    page.goto(story.get_absolute_url())
    url = page.url
    page.evaluate("window.__samePage = true")
    note_it = page.get_by_role("button", name="Note it")
    error = page.get_by_test_id("action-error")
    vet_url = "**/stories/*/vet/"

    cases = [
        (lambda route: route.fulfill(status=500, body="<h1>Server Error</h1>"), "our side"),
        (lambda route: route.fulfill(status=405, body=""), "did not work"),
        (lambda route: route.fulfill(status=429, body=""), "too often"),
        (lambda route: route.abort(), "Could not reach the site"),
    ]
    for handler, words in cases:
        page.route(vet_url, handler)
        note_it.click()
        expect(error).to_contain_text(words)
        expect(error).to_have_count(1)
        expect(note_it).to_be_enabled()
        expect(note_it).to_be_focused()
        page.unroute(vet_url)
    assert page.url == url

    # Suspended after the page loaded: the site ends the session and says so.
    def suspend():
        member.suspended_until = timezone.now() + datetime.timedelta(days=2)
        member.save(update_fields=["suspended_until"])

    in_thread(suspend)
    note_it.click()
    expect(error).to_have_text("Your account was suspended by a moderator, so you were signed out.")
    page.screenshot(path=str(artifacts_dir / "vet-parts-suspended.png"), full_page=True)
    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert page.url == url
    assert in_thread(lambda: Vet.objects.filter(story=story).count()) == 0


def test_a_real_403_is_shown_in_place(open_browser):
    """The server refuses the post (here its CSRF check, as when the form expired): the
    refusal page's words show beside the button, for Note it and for Track."""
    story = StoryFactory(title="Swallows back under the bridge")
    member = UserFactory(email="sedge@example.com")
    page = open_browser()
    log_in(page, member.email)
    page.goto(story.get_absolute_url())
    url = page.url
    page.evaluate("window.__samePage = true")
    page.evaluate(
        "document.querySelectorAll('input[name=csrfmiddlewaretoken]')"
        ".forEach(function (input) { input.value = 'expired'; })"
    )

    page.get_by_role("button", name="Note it").click()
    error = page.locator("#vetting .action-error")
    expect(error).to_contain_text("Please try again. Your form expired")
    page.get_by_role("button", name="Track comments").click()
    expect(page.locator("#track-toggle + .action-error")).to_contain_text(
        "Please try again. Your form expired"
    )
    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert page.url == url
    assert in_thread(lambda: Vet.objects.filter(story=story).count()) == 0


def test_a_refused_vet_says_why(open_browser):
    story = StoryFactory(title="Night sky reserve for the valley")
    member = UserFactory(email="moss@example.com")
    page = open_browser()
    log_in(page, member.email)
    page.goto(story.get_absolute_url())
    url = page.url

    # Noted in another tab meanwhile: this page's button is stale.
    in_thread(lambda: services.story_vet(member=member, story=Story.objects.get(pk=story.pk)))
    page.get_by_role("button", name="Note it").click()
    expect(page.get_by_test_id("action-error")).to_have_text("You have already noted this story.")
    assert page.url == url
