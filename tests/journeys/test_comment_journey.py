"""Alice comments on a story and tracks it; Bruno replies; Alice finds his reply in her
inbox and in an e-mail, follows the e-mail to it, and stops tracking the story in one
click from the e-mail's link. Links typed in comments stay links, never ``<a href`` text."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Tracking
from tests.e2e.conftest import in_thread
from tests.factories import StoryFactory, UserFactory
from tests.journeys.conftest import JS_MODES, log_in

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Harbour seals return to the estuary"
ALICE_SAYS = 'The count is in <a href="https://seals.example.org/count">the survey</a>.'
BRUNO_SAYS = 'Thanks! I counted nine from the pier: <a href="https://pier.example.org/">photos</a>'


@JS_MODES
def test_comment_reply_inbox_email_and_stop_tracking_in_one_click(js, person, outbox, snap, site):
    story = StoryFactory(published=True, title=TITLE)
    alice = UserFactory(
        email="alice@example.com",
        first_name="Alice",
        last_name="Moss",
        email_on_tracked_comments=True,
    )
    bruno = UserFactory(email="bruno@example.com", first_name="Bruno", last_name="Kay")
    story_url = story.get_absolute_url()

    # Step 1: Alice comments and ticks Track; the box says her e-mail copies are on.
    page_a = person("alice", js=js)
    log_in(page_a, alice.email)
    page_a.goto(story_url)
    track = page_a.locator("#comment-form").get_by_role("checkbox")
    track_field = page_a.locator("#comment-form .field").filter(has=page_a.get_by_role("checkbox"))
    expect(track_field).to_contain_text(re.compile(r"e-mail cop(y|ies)", re.I))
    expect(track_field).not_to_contain_text(re.compile(r"e-mail copies are off", re.I))
    page_a.get_by_label("Please add your comment:").fill(ALICE_SAYS)
    track.check()
    snap(page_a, "comment-typed")
    page_a.get_by_role("button", name="Post comment").click()
    expect(page_a.get_by_text("Your comment is posted.")).to_be_visible()
    first = page_a.get_by_test_id("comment").first
    expect(first.locator(".comment-body a")).to_have_attribute(
        "href", "https://seals.example.org/count"
    )
    expect(first).not_to_contain_text("<a href")
    expect(page_a.get_by_test_id("track-toggle")).to_contain_text(
        "You track comments on this story."
    )
    snap(page_a, "commented-and-tracking")

    # Step 2: Bruno replies to her.
    page_b = person("bruno", js=js)
    log_in(page_b, bruno.email)
    page_b.goto(story_url)
    page_b.get_by_test_id("comment").first.get_by_role("link", name="Reply").click()
    reply_form = page_b.locator("form.reply-form") if js else page_b.locator("form.comment-form")
    reply_form.locator("textarea").fill(BRUNO_SAYS)
    snap(page_b, "reply-typed")
    reply_form.get_by_role("button", name="Post reply").click()
    expect(page_b.get_by_text("Your comment is posted.")).to_be_visible()
    reply = page_b.locator(".comment.depth-2")
    expect(reply).to_contain_text("I counted nine from the pier")
    expect(reply).not_to_contain_text("<a href")
    reply_id = reply.get_attribute("id")
    snap(page_b, "replied")
    page_b.context.close()

    # Step 3: Alice has a message; its text shows links as links, and it leads to the reply.
    page_a.goto("/")
    expect(page_a.get_by_test_id("unread-count")).to_have_text("1")
    page_a.get_by_test_id("inbox-link").click()
    snap(page_a, "inbox")
    message = page_a.get_by_test_id("inbox-message").first
    expect(message).to_contain_text(f"Bruno K commented on “{TITLE}”")
    expect(message).not_to_contain_text("<a href")
    # Its "stop tracking" link is on the running site, not on make run's port.
    stop_in_inbox = message.locator("a[href*='/comments/stop-tracking/']")
    expect(stop_in_inbox.first).to_have_attribute(
        "href", re.compile(rf"^({re.escape(site.url)})?/comments/stop-tracking/")
    )
    message.get_by_role("link", name=re.compile("Bruno K commented")).click()
    page_a.wait_for_url(re.compile(rf".*#{reply_id}$"))
    expect(page_a.locator(f"#{reply_id}")).to_be_visible()
    expect(page_a.get_by_test_id("unread-count")).to_have_count(0)

    # Step 4: the e-mail: links to the running site, unbroken, with a one-click unsubscribe.
    sent = outbox.latest(alice.email, "Bruno K commented")
    assert "<a href" not in sent.text
    read_url = sent.link("/stories/")
    assert read_url.endswith(f"#{reply_id}")
    stop_url = sent.link("/comments/stop-tracking/")
    assert sent.header("List-Unsubscribe") == f"<{stop_url}>"
    assert sent.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert f"<{stop_url}>".encode() in sent.raw.replace(b"\n ", b"").replace(b"\r\n ", b"")

    page_a.goto(read_url)
    expect(page_a.locator(f"#{reply_id}")).to_contain_text("I counted nine from the pier")

    # Step 5: one click on the e-mail's link stops the tracking (no sign-in needed).
    reader = person("alice-mail-client", js=js)
    reader.goto(stop_url)
    snap(reader, "stop-tracking")
    reader.get_by_role("button", name="Stop tracking this story").click()
    expect(reader.get_by_text("You will no longer get messages")).to_be_visible()
    snap(reader, "stopped")
    assert not in_thread(Tracking.objects.filter(member=alice, story=story).exists)

    page_a.goto(story_url)
    expect(page_a.get_by_test_id("track-toggle")).to_contain_text("Track comments")
    expect(page_a.get_by_test_id("track-toggle")).not_to_contain_text("You track comments")

    # Step 6: Alice's profile lists her comment as text, never as markup.
    page_a.locator("header .member-name").click()
    excerpt = page_a.get_by_test_id("profile-comment").first
    expect(excerpt).to_contain_text("The count is in")
    expect(excerpt).not_to_contain_text("<a href")
    snap(page_a, "profile")
