"""With JavaScript, vet, save and track post in the background: the page stays where it
is (no reload), the part that changed is replaced and its message shows; without
JavaScript the same forms post as usual (the other tests)."""

import pytest
from playwright.sync_api import expect

from comments.models import Tracking
from stories.models import SavedStory, Story
from tests.e2e.conftest import in_thread
from tests.e2e.test_stories import log_in
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_vet_save_and_track_without_leaving_the_page(open_browser):
    story = StoryFactory(title="Swifts nest in the church tower")
    member = UserFactory(email="kit@example.com")
    page = open_browser()
    log_in(page, member.email)
    page.goto(story.get_absolute_url())
    page.evaluate("window.__samePage = true")

    page.get_by_role("button", name="Note it").click()
    expect(page.get_by_text("You noted this story.")).to_be_visible()
    expect(page.get_by_test_id("vet-count")).to_have_text("1")
    expect(page.locator(".messages")).to_contain_text("Thank you for vetting")

    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_role("button", name="Remove from saved stories")).to_be_focused()

    page.get_by_role("button", name="Track comments").click()
    expect(page.get_by_text("You track comments on this story.")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("personal message")

    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert in_thread(lambda: Story.objects.get(pk=story.pk).vet_count) == 1
    assert in_thread(lambda: SavedStory.objects.filter(member=member, story=story).count()) == 1
    assert in_thread(lambda: Tracking.objects.filter(member=member, story=story).count()) == 1
