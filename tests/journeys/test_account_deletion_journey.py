"""Dora comments on a story, notes it, signs a petition and starts one of her own; she
downloads her data from Settings and deletes her account there. Then Rita, a reader,
visits every page Dora was on: "deleted member" stands in her place as plain text, and
no link on those pages (to a member, a story, a petition, a comment) answers 404. A
made-up address shows the site's own "Page not found" page."""

import datetime
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import Comment
from petitions.models import Petition
from tests.comments.factories import CommentFactory
from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, CategoryFactory, StoryFactory, UserFactory
from tests.journeys.conftest import JS_MODES, log_in
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db(transaction=True)

STORY = "Swifts nest again in the old church tower"
THEIR_PETITION = "Put swift bricks in every new school building"
HER_PETITION = "Keep the church tower open to its swifts"
SHE_SAYS = "I counted eleven swifts over the tower last night."

# Pages that write, sign out or download: not fetched by the link crawl.
NOT_FETCHED = re.compile(r"^/(accounts/logout|admin)/|\.(rss|atom|csv|json)$")


def links_on(page) -> list[str]:
    """Every same-site link on the page, as a path (without its #fragment)."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map((a) => a.href)")
    origin = urlsplit(page.url)
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not NOT_FETCHED.search(parts.path) and path not in paths:
            paths.append(path)
    return paths


def see_deleted_member_as_plain_text(page, where: str) -> None:
    expect(page.locator("main")).to_contain_text("deleted member")
    expect(page.locator("main")).not_to_contain_text("Dora")
    linked = page.locator("a", has_text="deleted member")
    assert linked.count() == 0, f"{where}: 'deleted member' is a link"


@JS_MODES
def test_a_member_exports_her_data_and_deletes_her_account_leaving_no_link_to_a_404(
    js, person, snap, site
):
    category = CategoryFactory(name="Environment & Wildlife", slug="environment-wildlife")
    sam = UserFactory(email="sam@example.com", first_name="Sam", last_name="Okoro")
    story = StoryFactory(published=True, title=STORY, category=category, submitter=sam)
    CommentFactory(story=story, author=sam, body="The tower was closed to birds for years.")
    pia = UserFactory(email="pia@example.com", first_name="Pia", last_name="Lund")
    theirs = PetitionFactory(title=THEIR_PETITION, category=category, creator=pia, goal=10)
    dora = UserFactory(
        email="dora@example.com",
        first_name="Dora",
        last_name="Vance",
        date_joined=timezone.now() - datetime.timedelta(days=30),
    )
    story_url, their_url = story.get_absolute_url(), theirs.get_absolute_url()
    dora_profile = dora.get_absolute_url()

    # Step 1: Dora comments on the story and notes it.
    page = person("dora", js=js)
    log_in(page, dora.email)
    page.goto(story_url)
    page.get_by_label("Please add your comment:").fill(SHE_SAYS)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is posted.")).to_be_visible()
    page.get_by_role("button", name="Note it").click()
    expect(page.get_by_text("Thank you for vetting")).to_be_visible()
    mine = page.get_by_test_id("comment").filter(has_text=SHE_SAYS)
    expect(mine.get_by_role("link", name="Dora V")).to_have_attribute("href", dora_profile)
    snap(page, "commented-and-noted")

    # Step 2: she signs Pia's petition in one click, and starts her own.
    page.goto(their_url)
    page.get_by_role("button", name="Sign this petition").click()
    expect(page.get_by_text("Your signature is counted")).to_be_visible()
    expect(page.get_by_test_id("signature-count")).to_have_text("1")
    page.get_by_role("link", name="Start a petition").first.click()
    page.get_by_label("Title").fill(HER_PETITION)
    page.get_by_label("Whom does it address?").fill("The Parish Council")
    page.get_by_label("Why it matters").fill("Swifts have nested in the tower for a century.")
    page.get_by_label("Category").select_option(label="Environment & Wildlife")
    page.get_by_role("button", name="Start my petition").click()
    expect(page.get_by_text("Your petition is open")).to_be_visible()
    her_url = urlsplit(page.url).path
    snap(page, "her-petition")

    # Step 3: the leaderboard names her, linked to her profile.
    page.goto("/credits/leaderboard/")
    expect(page.locator(f"main a[href='{dora_profile}']").first).to_be_visible()

    # Step 4: Settings offers her data; the download holds what she did.
    page.locator("header summary", has_text="More").click()
    page.locator("header").get_by_role("link", name="Settings").click()
    expect(page.locator("h1")).to_contain_text("Settings")
    snap(page, "settings")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == dora.email
    assert [c for c in data["comments"] if SHE_SAYS in json.dumps(c)]
    assert [p["title"] for p in data["petitions_started"]] == [HER_PETITION]
    assert [s["petition"] for s in data["signatures"]] == [THEIR_PETITION]
    assert STORY in json.dumps(data["vets"])

    # Step 5: she deletes her account: a wrong password is refused, hers goes through.
    page.get_by_role("link", name="Delete my account").click()
    snap(page, "delete-account")
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.locator("main")).to_contain_text("That is not your password.")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.locator("header .member-name")).to_have_count(0)
    snap(page, "deleted")
    page.context.close()

    # Her things stay, as by "deleted member"; her name and e-mail are gone.
    assert in_thread(lambda: Comment.objects.get(body__contains="eleven swifts").author.email) != (
        dora.email
    )
    assert in_thread(lambda: Petition.objects.get(title=HER_PETITION).creator.first_name) == (
        "deleted member"
    )

    # Step 6: Rita visits the pages Dora was on; "deleted member" is plain text there.
    rita = person("rita", js=js)
    pages = {
        "the story": story_url,
        "who noted it": f"{story_url}noted-by/",
        "Pia's petition": their_url,
        "Dora's petition": her_url,
        "the front page": "/",
        "the leaderboard": "/credits/leaderboard/",
        "the petitions": "/petitions/newest/",
    }
    crawl = {}
    for where, path in pages.items():
        response = rita.goto(path)
        assert response.status == 200, f"{where} ({path}) answers {response.status}"
        snap(rita, where.replace(" ", "-").replace("'", ""))
        if where in ("the story", "who noted it", "Dora's petition"):
            see_deleted_member_as_plain_text(rita, where)
        expect(rita.locator("main")).not_to_contain_text("Dora V")
        assert rita.locator(f"a[href='{dora_profile}']").count() == 0, where
        for link in links_on(rita):
            crawl.setdefault(link, where)
    # Her petition is still there, and her signature on Pia's still counts.
    rita.goto(her_url)
    expect(rita.locator("h1")).to_have_text(HER_PETITION)
    rita.goto(their_url)
    expect(rita.get_by_test_id("signature-count")).to_have_text("1")

    # Step 7: every link on those pages (members, stories, petitions, comments) answers.
    assert any(path.startswith("/members/") for path in crawl), "no member links to follow"
    broken = []
    for path, where in crawl.items():
        response = rita.request.get(path, max_redirects=5)
        if response.status == 404 or response.status >= 500:
            broken.append(f"{path} (linked from {where}) answers {response.status}")
    assert not broken, "\n".join(broken)

    # Step 8: a made-up address shows the site's own page, not Django's debug page.
    response = rita.goto("/stories/no-such-story-anywhere/")
    assert response.status == 404
    snap(rita, "not-found")
    expect(rita.locator("header.site-header")).to_be_visible()
    expect(rita.locator("h1")).to_have_text("Page not found")
    expect(rita.get_by_role("link", name="Go to the front page")).to_be_visible()
    body = rita.locator("body")
    for debug_text in ("Traceback", "Using the URLconf", "DEBUG = True", "Request Method"):
        expect(body).not_to_contain_text(debug_text)
