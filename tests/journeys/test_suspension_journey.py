"""A moderator suspends a member in the admin; the member, whose story page was open,
presses "Note it" and is told why in place; signing in again, she is not told she
signed in successfully, and every page she reads has no action buttons."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from care2.users.moderators import MODERATORS_GROUP
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory
from tests.journeys.conftest import JS_MODES, log_in

pytestmark = pytest.mark.django_db(transaction=True)

ACTION_BUTTONS = ["Note it", "Track comments", "Save for later", "Post comment", "Reply"]


@JS_MODES
def test_a_suspended_member_reads_without_action_buttons(js, person, snap):
    story = StoryFactory(published=True, title="Seed library opens in the old post office")
    CommentFactory(story=story, body="I borrowed tomato seeds there last spring.")
    paula = UserFactory(email="paula@example.com", first_name="Paula", last_name="Reed")
    moderator = UserFactory(
        email="mona@example.com", first_name="Mona", last_name="Reyes", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    story_url = story.get_absolute_url()

    # Step 1: Paula reads the story, signed in, with every action on offer.
    paula_page = person("paula", js=js)
    log_in(paula_page, paula.email)
    paula_page.goto(story_url)
    expect(paula_page.get_by_role("button", name="Note it")).to_be_visible()

    # Step 2: the moderator suspends her from the admin, with a reason and no end date.
    mona = person("mona", js=js)
    log_in(mona, moderator.email)
    mona.goto("/admin/users/user/?q=paula%40example.com")
    mona.locator("#result_list tbody tr").first.locator("input[type=checkbox]").check()
    mona.locator("select[name=action]").select_option("suspend")
    mona.locator("button[name=index], input[name=index]").first.click()
    mona.get_by_label("Reason").fill("Spam links in three comments")
    snap(mona, "suspend-form")
    mona.get_by_role("button", name="Suspend").click()
    expect(mona.locator(".messagelist")).to_contain_text(re.compile(r"1 members? suspended"))
    mona.context.close()

    # Step 3: Paula, on the page she had open, presses "Note it": a message says why,
    # and she is not sent to an error page.
    paula_page.get_by_role("button", name="Note it").click()
    paula_page.wait_for_load_state()
    snap(paula_page, "note-it-after-suspension")
    expect(paula_page.locator("main")).to_contain_text(re.compile("suspended", re.I))
    expect(paula_page.locator("body")).not_to_contain_text("405")
    expect(paula_page.locator("body")).not_to_contain_text("Method Not Allowed")
    if js:
        assert paula_page.url.endswith(story_url), paula_page.url

    # Step 4: she signs in again: no "Successfully signed in", a read-only notice, and
    # an open-ended suspension does not name a date a century away.
    log_in_page = person("paula-again", js=js)
    log_in(log_in_page, paula.email)
    snap(log_in_page, "signed-in-suspended")
    expect(log_in_page.locator("body")).not_to_contain_text("Successfully signed in")
    expect(log_in_page.locator("main")).to_contain_text(re.compile("suspended", re.I))
    expect(log_in_page.locator("body")).not_to_contain_text(re.compile(r"until \w* ?\d* ?21\d\d"))

    # Step 5: the story page, the front page and her profile have no action buttons.
    for path in [story_url, "/", "/newly-submitted/", paula.get_absolute_url()]:
        log_in_page.goto(path)
        for name in ACTION_BUTTONS:
            expect(log_in_page.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(log_in_page.get_by_role("link", name="Reply", exact=True)).to_have_count(0)
        expect(log_in_page.locator("#comment-form")).to_have_count(0)
    log_in_page.goto(story_url)
    snap(log_in_page, "story-read-only")
    expect(log_in_page.locator("body")).not_to_contain_text(re.compile(r"until \w* ?\d* ?21\d\d"))
