"""Three members report a comment and it leaves the thread; a moderator signs in to the
admin through the site's log-in, follows the dashboard's count to the filtered list,
removes the comment with a reason, and finds the decision in the audit trail."""

import re

import pytest

from care2.users.models import AuditEntry
from care2.users.moderators import MODERATORS_GROUP
from comments.models import Comment
from tests.comments.factories import CommentFactory
from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MODERATOR_PERMISSIONS = [
    ("comments", "view_comment"),
    ("comments", "remove_comment"),
    ("comments", "view_commentreport"),
    ("stories", "view_story"),
    ("users", "view_auditentry"),
]


def make_moderator():
    """A transactional test flushes the data migrations' group: build it again."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for app_label, codename in MODERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    moderator = UserFactory(
        email="mona@example.com", first_name="Mona", last_name="Reyes", is_staff=True
    )
    moderator.groups.add(group)
    return moderator


def log_in(page, email, next_url=None):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_reported_comment_hidden_then_removed_from_the_admin(open_browser, settings, artifacts_dir):
    settings.COMMENT_HIDE_AT_REPORTS = 3
    story = StoryFactory(published=True, title="River clean-up draws two hundred volunteers")
    CommentFactory(story=story, body="Great turnout, see you next spring.")
    spam = CommentFactory(
        story=story, body="Earn money fast from home, click my profile for the secret!"
    )
    reporters = [
        UserFactory(email=f"reporter{n}@example.com", first_name=f"Reporter{n}") for n in range(3)
    ]
    moderator = make_moderator()
    story_url = story.get_absolute_url()

    # Three members report the comment through the page's Report link (no JavaScript).
    for n, reporter in enumerate(reporters):
        page = open_browser()
        page.goto("/accounts/login/")
        log_in(page, reporter.email)
        page.wait_for_url(re.compile(r".*/$"))
        page.goto(story_url)
        page.locator(f"#comment-{spam.pk}").get_by_role("link", name="Report").click()
        page.get_by_label("Spam").check()
        if n == 0:
            page.get_by_label("Anything the moderators should know? (optional)").fill(
                "Same text on three other stories"
            )
            page.screenshot(path=str(artifacts_dir / "moderation-report-form.png"), full_page=True)
        page.get_by_role("button", name="Send report").click()
        page.get_by_text("the moderators will look at this comment").wait_for()
        page.context.close()

    # Readers no longer see it; the count follows.
    reader = open_browser()
    reader.goto(story_url)
    assert reader.get_by_text("Earn money fast").count() == 0
    assert reader.get_by_text("Great turnout").count() == 1
    assert reader.get_by_test_id("comment-count").inner_text() == "1"
    reader.screenshot(path=str(artifacts_dir / "moderation-hidden-for-readers.png"), full_page=True)

    # The moderator goes to the admin: its log-in is the site's, and comes back.
    page = open_browser()
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=(/|%2F)admin(/|%2F)"))
    log_in(page, moderator.email)
    page.wait_for_url(re.compile(r"/admin/$"))
    dashboard = page.get_by_test_id("moderation-dashboard")
    assert dashboard.get_by_test_id("count-comments-reported").inner_text() == "1"
    assert dashboard.get_by_test_id("count-comments-hidden").inner_text() == "1"
    page.screenshot(path=str(artifacts_dir / "moderation-dashboard.png"), full_page=True)

    dashboard.get_by_test_id("queue-comments-hidden").click()
    page.wait_for_url(re.compile(r"/admin/comments/comment/\?reports=hidden"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Earn money fast" in rows.first.inner_text()
    rows.first.locator("th a").click()

    page.get_by_test_id("decide-link").click()
    page.get_by_label("Remove it from the site").check()
    page.get_by_label("Reason for removing:").select_option("spam")
    page.get_by_label("Note for the audit log:").fill("Money-making spam, reported three times")
    page.screenshot(path=str(artifacts_dir / "moderation-decide.png"), full_page=True)
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("The comment is removed.").wait_for()

    page.goto("/admin/")
    assert page.get_by_test_id("count-comments-hidden").inner_text() == "0"
    page.goto("/admin/users/auditentry/")
    row = page.locator("#result_list tbody tr").first
    assert "remove comment" in row.inner_text()
    assert "Spam: Money-making spam, reported three times" in row.inner_text()
    assert "Mona R" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "moderation-audit.png"), full_page=True)

    def check():
        spam.refresh_from_db()
        story.refresh_from_db()
        entry = AuditEntry.objects.get()
        return spam.status, spam.removal_reason, story.comment_count, entry.actor_id

    assert in_thread(check) == (Comment.Status.REMOVED, "spam", 1, moderator.pk)
    reader.goto(story_url)
    assert reader.get_by_text("Earn money fast").count() == 0
