"""Nadia joins, verifies her address from the e-mail, submits a story, and four other
members vet it from Newly Submitted and the story page until it is on the front page
with its noters named and its "Newly submitted" badge gone."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, CategoryFactory, UserFactory
from tests.journeys.conftest import JS_MODES, header_balance, log_in

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Otters return to the city canal"
VETTERS = [("Vera", "Ames"), ("Omar", "Bell"), ("Ines", "Cruz"), ("Theo", "Dunn")]


def configure_facebook():
    """A Facebook app configured offline, as a moderator would in the admin."""
    from allauth.socialaccount.models import SocialApp
    from django.contrib.sites.models import Site

    app = SocialApp.objects.create(
        provider="facebook", name="Facebook", client_id="1234567890", secret="offline-secret"
    )
    app.sites.add(Site.objects.get_current())


def see_noter(page, name, js):
    """Noted-by names the voter: in place with script, on its own page without."""
    if js:
        expect(page.locator("#noted-by")).to_contain_text(name)
    else:
        story_url = page.url
        page.get_by_role("link", name="See who noted this story").click()
        expect(page.locator("main")).to_contain_text(name)
        page.goto(story_url)


@JS_MODES
def test_sign_up_verify_submit_and_four_members_vet_it_onto_the_front_page(
    js, person, outbox, snap, settings, site
):
    settings.STORY_PROMOTE_AT_VETS = 4
    CategoryFactory(name="Environment & Wildlife", slug="environment-wildlife")
    vetters = [
        UserFactory(email=f"{first.lower()}@example.com", first_name=first, last_name=last)
        for first, last in VETTERS
    ]
    configure_facebook()

    # Step 1: Nadia joins; the sign-up page offers Facebook too.
    nadia = person("nadia", js=js)
    nadia.goto("/")
    nadia.get_by_role("link", name="Join").first.click()
    expect(nadia.get_by_text("Or, log in with your Facebook account")).to_be_visible()
    nadia.get_by_label("First name").fill("Nadia")
    nadia.get_by_label("Last name").fill("Quill")
    nadia.get_by_label("Email").fill("nadia@example.com")
    nadia.locator("#id_password1").fill(PASSWORD)
    nadia.locator("#id_password2").fill(PASSWORD)
    snap(nadia, "sign-up-filled")
    nadia.get_by_role("button", name="Sign Up").click()
    expect(nadia.get_by_text("Verify Your Email Address").first).to_be_visible()
    snap(nadia, "check-your-email")

    # Step 2: the verification link, exactly as sent, leads to the running site.
    verification = outbox.latest("nadia@example.com")
    nadia.goto(verification.link("/accounts/confirm-email/"))
    nadia.get_by_role("button", name="Confirm").click()
    expect(nadia.locator("main")).to_contain_text("confirmed")
    snap(nadia, "email-confirmed")

    # Step 3: she signs in (Facebook is offered there too).
    nadia.goto("/accounts/login/")
    expect(nadia.get_by_text("Or, log in with your Facebook account")).to_be_visible()
    log_in(nadia, "nadia@example.com")
    expect(nadia.locator("header .member-name")).to_have_text("Nadia Q")

    # Step 4: she submits a story; it waits in Newly Submitted, and she tracks it.
    nadia.get_by_role("link", name="Submit a story").click()
    nadia.get_by_label("Title").fill(TITLE)
    nadia.get_by_label("Link to the source article").fill("https://news.example.org/otters-canal")
    nadia.get_by_label("Summary").fill(
        "A family of otters was filmed in the canal for the first time in decades."
    )
    nadia.get_by_label("Category").select_option(label="Environment & Wildlife")
    nadia.get_by_label("Tags").fill("otters, canals")
    nadia.get_by_role("button", name="Submit story").click()
    expect(nadia.get_by_text("Your story is in Newly Submitted")).to_be_visible()
    expect(nadia.locator("h1")).to_have_text(TITLE)
    expect(nadia.locator("article.story .badge-new")).to_have_text("Newly submitted")
    expect(nadia.get_by_test_id("track-toggle")).to_contain_text(
        "You track comments on this story."
    )
    snap(nadia, "story-submitted")
    story_url = nadia.url

    # Step 5: Vera finds it in Newly Submitted and notes it right there.
    vera = person("vera", js=js)
    log_in(vera, vetters[0].email)
    vera.get_by_role("link", name="Newly submitted").first.click()
    card = vera.locator("article.story-card").filter(has=vera.get_by_role("link", name=TITLE))
    expect(card).to_be_visible()
    snap(vera, "newly-submitted")
    card.get_by_role("button", name="Note it").click()
    expect(vera.get_by_text("Thank you for vetting")).to_be_visible()
    expect(card).to_contain_text("1 note")
    snap(vera, "noted-from-the-list")

    # Step 6: three more members note it from the story page; each sees the count,
    # their own name among the noters and their credits rise, without reloading.
    for n, (vetter, (first, last)) in enumerate(
        zip(vetters[1:], VETTERS[1:], strict=True), start=2
    ):
        page = person(first.lower(), js=js)
        log_in(page, vetter.email)
        before = header_balance(page)
        page.goto(story_url)
        page.get_by_role("button", name="Note it").click()
        last_vote = n == len(VETTERS)
        expected = "put this story on the front page" if last_vote else "Thank you for vetting"
        expect(page.get_by_text(expected)).to_be_visible()
        expect(page.get_by_test_id("vet-count")).to_have_text(str(n))
        expect(page.get_by_text("You noted this story.")).to_be_visible()
        expect(
            page.locator("header a", has_text=re.compile(r"\d+ credits?")).first
        ).not_to_have_text(re.compile(rf"^\D*{before} credits?$"))
        assert header_balance(page) > before
        if last_vote:
            # Promoted: the badge and the "needed for the front page" note are gone.
            expect(page.locator("article.story .badge-new")).to_have_count(0)
            expect(page.locator("#vetting")).not_to_contain_text("needed for the front page")
        snap(page, f"noted-{n}")
        see_noter(page, f"{first} {last[0]}", js)
        page.context.close()

    # Step 7: the story is on the front page, without the badge, with its four noters.
    nadia.goto("/")
    card = nadia.locator("article.story-card").filter(has=nadia.get_by_role("link", name=TITLE))
    expect(card).to_be_visible()
    expect(card).to_contain_text("4 notes")
    expect(card.locator(".badge-new")).to_have_count(0)
    snap(nadia, "front-page")
    nadia.goto(story_url)
    expect(nadia.get_by_test_id("vet-count")).to_have_text("4")
    expect(nadia.locator("article.story .badge-new")).to_have_count(0)
    if js:
        expect(nadia.locator("#noted-by li")).to_have_count(4)
        noters = nadia.locator("#noted-by")
    else:
        nadia.get_by_role("link", name="See who noted this story").click()
        noters = nadia.locator("main")
    for first, last in VETTERS:
        expect(noters).to_contain_text(f"{first} {last[0]}")
    snap(nadia, "noted-by")

    # Step 8: the front page's feed links to the running site (taken from the request).
    feed = nadia.request.get("/feeds/stories.rss")
    assert feed.ok
    links = re.findall(r"<link>([^<]+)</link>", feed.text())
    assert links and all(link.startswith(f"{site.url}/") for link in links), links
