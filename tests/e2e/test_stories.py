"""A new member joins, submits a story, and five members vet it onto the front page."""

import re

import pytest
from django.core import mail

from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_sign_up_verify_submit_and_vet_to_front_page(open_browser, settings, artifacts_dir):
    settings.STORY_PROMOTE_AT_VETS = 5
    CategoryFactory(name="Environment & Wildlife", slug="environment-wildlife")
    vetters = [UserFactory(email=f"vetter{n}@example.com") for n in range(5)]

    page = open_browser()
    page.goto("/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("First name").fill("Nadia")
    page.get_by_label("Last name").fill("Quill")
    page.get_by_label("Email").fill("nadia@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_text("Verify Your Email Address").first.wait_for()

    # The verification e-mail, read from the test outbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    log_in(page, "nadia@example.com")

    page.get_by_role("link", name="Submit a story").click()
    page.get_by_label("Title").fill("Otters return to the city canal")
    page.get_by_label("Link to the source article").fill("https://news.example.org/otters-canal")
    page.get_by_label("Summary").fill(
        "A family of otters was filmed in the canal for the first time in decades."
    )
    page.get_by_label("Category").select_option(label="Environment & Wildlife")
    page.get_by_label("Tags").fill("otters, canals, Otters")
    page.get_by_role("button", name="Submit story").click()
    page.get_by_text("Your story is in Newly Submitted").wait_for()
    story_url = page.url
    assert "Otters return to the city canal" in page.locator("h1").inner_text()

    for n, vetter in enumerate(vetters, start=1):
        context_page = open_browser()
        log_in(context_page, vetter.email)
        context_page.goto(story_url)
        context_page.get_by_role("button", name="Note it").click()
        expected = "put this story on the front page" if n == 5 else "Thank you for vetting"
        context_page.get_by_text(expected).wait_for()
        assert context_page.get_by_test_id("vet-count").inner_text() == str(n)
        context_page.context.close()

    page.goto("/")
    page.get_by_role("link", name="Otters return to the city canal").wait_for()
    page.goto(story_url)
    # "Noted by" is loaded after the page by script.
    page.locator("#noted-by[data-loaded=true]").wait_for()
    assert page.locator("#noted-by li").count() == 5
    page.screenshot(path=str(artifacts_dir / "story-page.png"), full_page=True)

    status = in_thread(lambda: __import__("stories.models").models.Story.objects.get().status)
    assert status == "published"
