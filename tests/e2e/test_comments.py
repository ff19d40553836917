"""Member A tracks a story and comments (a link and a <script>); member B replies in
place; A's unread count rises, the inbox leads to B's reply; nothing typed runs."""

import re

import pytest

from tests.factories import PASSWORD, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/$"))


def watch_for_script(page):
    """Any alert() a comment manages to run is recorded (and dismissed)."""
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def test_track_comment_reply_inbox(open_browser, settings, artifacts_dir):
    story = StoryFactory(published=True, title="Harbour seals return to the estuary")
    alice = UserFactory(email="alice@example.com", first_name="Alice", last_name="Moss")
    bruno = UserFactory(email="bruno@example.com", first_name="Bruno", last_name="Kay")
    story_url = story.get_absolute_url()

    page_a = open_browser()
    dialogs = watch_for_script(page_a)
    log_in(page_a, alice.email)
    page_a.goto(story_url)
    assert page_a.get_by_test_id("unread-count").count() == 0
    page_a.get_by_role("button", name="Track comments").click()
    page_a.get_by_text("You track comments on this story.").first.wait_for()

    page_a.get_by_label("Please add your comment:").fill(
        "Survey details: https://seals.example.org/count\n<script>window.__xss=1;alert('xss')</script>"
    )
    page_a.get_by_role("button", name="Post comment").click()
    page_a.get_by_text("Your comment is posted.").wait_for()
    first = page_a.get_by_test_id("comment").first
    link = first.locator(".comment-body a")
    assert link.get_attribute("href") == "https://seals.example.org/count"
    assert link.get_attribute("rel") == "nofollow ugc noopener"
    assert (
        "<script>window.__xss=1;alert('xss')</script>"
        in first.locator(".comment-body").inner_text()
    )
    assert first.locator("script").count() == 0
    assert page_a.evaluate("typeof window.__xss") == "undefined"
    assert page_a.get_by_test_id("comment-count").inner_text() == "1"
    assert "Alice M" in first.inner_text() and re.search(
        r"\w+day \w+ \d+, \d{4}, \d+:\d\d [ap]m", first.inner_text()
    )
    page_a.screenshot(path=str(artifacts_dir / "comments-alice-commented.png"), full_page=True)

    page_b = open_browser()
    log_in(page_b, bruno.email)
    page_b.goto(story_url)
    page_b.get_by_role("link", name="Reply").first.click()  # opens the form in place
    reply_form = page_b.locator("form.reply-form")
    reply_form.get_by_label("Your reply:").fill("Thanks, I counted nine from the pier.")
    page_b.screenshot(path=str(artifacts_dir / "comments-bruno-replying.png"), full_page=True)
    reply_form.get_by_role("button", name="Post reply").click()
    page_b.get_by_text("Your comment is posted.").wait_for()
    reply = page_b.locator(".comment.depth-2")
    assert "Thanks, I counted nine from the pier." in reply.inner_text()
    reply_id = reply.get_attribute("id")

    page_a.goto(story_url)
    assert page_a.get_by_test_id("unread-count").inner_text() == "1"
    page_a.get_by_test_id("inbox-link").click()
    message = page_a.get_by_test_id("inbox-message").first
    assert "Bruno K commented on “Harbour seals return to the estuary”" in message.inner_text()
    page_a.screenshot(path=str(artifacts_dir / "comments-alice-inbox.png"), full_page=True)
    message.get_by_role("link", name=re.compile("Bruno K commented")).click()
    page_a.wait_for_url(re.compile(rf".*#{reply_id}$"))
    assert page_a.locator(f"#{reply_id}").is_visible()
    assert page_a.get_by_test_id("unread-count").count() == 0  # opening it marked it read
    assert dialogs == []
