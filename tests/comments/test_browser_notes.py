"""In a browser: the Track toggle says e-mail copies are off with a link to Settings,
and an inbox message about a comment with a link shows a real link, no markup."""

import re

import pytest
from django.urls import reverse

from care2.users.models import Message
from comments import services
from tests.comments.factories import TrackingFactory
from tests.e2e.conftest import open_browser  # noqa: F401 (the fixture)
from tests.factories import PASSWORD, StoryFactory, UserFactory

# allow_credit_drift: the suite's after-test ledger check skips browser tests (it can't
# reach the database from the thread Playwright's loop runs in), as it does in tests/e2e.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.e2e,
    pytest.mark.allow_credit_drift,
]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_track_note_and_inbox_link(open_browser, artifacts_dir):  # noqa: F811
    alice = UserFactory(email="alice-notes@example.com", first_name="Alice", last_name="Moss")
    story = StoryFactory(published=True, title="Harbour seals return to the estuary")
    TrackingFactory(member=alice, story=story)
    comment = services.comment_create(
        author=UserFactory(),
        story=story,
        body='Counts are in <a href="https://seals.example.org/count">the survey</a>.',
    )
    services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[alice.pk])
    assert Message.objects.filter(recipient=alice).exists()
    other = StoryFactory(published=True, title="Wetlands get a second chance")
    inbox_url = reverse("users:inbox")

    page = open_browser(viewport={"width": 1280, "height": 900})
    log_in(page, alice.email)
    page.goto(other.get_absolute_url())
    note = page.get_by_test_id("track-email-note").first
    assert "e-mail copies are off" in note.inner_text()
    assert note.get_by_role("link", name="change in Settings").get_attribute("href") == (
        "/settings/#id_email_on_tracked_comments"
    )
    page.get_by_test_id("track-toggle").screenshot(path=artifacts_dir / "track-email-note.png")

    page.goto(inbox_url)
    body = page.locator(".inbox-body").first
    assert "<a" not in body.inner_text()
    assert "Counts are in the survey (https://seals.example.org/count)." in body.inner_text()
    assert body.get_by_role("link").first.get_attribute("href") == (
        "https://seals.example.org/count"
    )
    page.locator(".inbox").screenshot(path=artifacts_dir / "inbox-comment-link.png")


def test_tracking_by_script_updates_the_comment_forms_track_box(open_browser):  # noqa: F811
    """Track and Stop tracking, sent in the background, also take the comment form's
    Track box away and bring it back, and leave what the member was typing."""
    bea = UserFactory(email="bea-track@example.com", first_name="Bea")
    story = StoryFactory(published=True, title="Swifts nest under the old bridge")
    page = open_browser(viewport={"width": 1280, "height": 900})
    log_in(page, bea.email)
    page.goto(story.get_absolute_url())
    form = page.locator("#comment-form")
    box = form.get_by_label(re.compile("Track", re.I))
    assert box.count() == 1
    form.locator("textarea").fill("Half a sentence I am still writing")
    page.get_by_test_id("track-toggle").get_by_role("button", name="Track comments").click()
    expect = page.get_by_test_id("track-toggle")
    expect.get_by_role("button", name="Stop tracking").wait_for()
    assert form.get_by_label(re.compile("Track", re.I)).count() == 0
    assert form.locator("textarea").input_value() == "Half a sentence I am still writing"
    expect.get_by_role("button", name="Stop tracking").click()
    expect.get_by_role("button", name="Track comments").wait_for()
    assert form.get_by_label(re.compile("Track", re.I)).count() == 1
