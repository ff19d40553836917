"""Nadia starts a petition with an image; Lucia, a reader, signs it, confirms from the
e-mail, sees the count and the latest signers change, and later withdraws from the same
e-mail. A member who joined today is told the 24-hour rule in place of the form."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.factories import CategoryFactory, UserFactory
from tests.journeys.conftest import JS_MODES, log_in

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Keep the riverside path open after dark"


def fill_petition(page, image_path):
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Whom does it address?").fill("The Riverside District Council")
    page.get_by_label("Why it matters").fill(
        "The riverside path is the only route to school that avoids the ring road.\n\n"
        "Closing it at dusk sends children onto a four-lane road."
    )
    page.get_by_label("Category").select_option(label="Society & Culture")
    page.get_by_label("Image").set_input_files(str(image_path))
    page.get_by_label("Signature goal").fill("10")


def picture(tmp_path):
    path = tmp_path / "path.png"
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 120, 60)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


@JS_MODES
def test_a_member_who_joined_today_is_told_the_rule_instead_of_the_form(js, person, snap):
    CategoryFactory(name="Society & Culture", slug="society-culture")
    UserFactory(email="newbie@example.com", first_name="Nell", last_name="Newman")

    # Nell joined today: the page says when she may start one, before she types anything
    # (no form to fill in and lose), and points her at the petitions she can sign.
    nell = person("nell", js=js)
    log_in(nell, "newbie@example.com")
    nell.get_by_role("link", name="Start a petition").first.click()
    snap(nell, "start-as-new-member")
    rule = nell.get_by_test_id("new-member-rule")
    expect(rule).to_be_visible()
    expect(rule).to_contain_text("You can start a petition from")
    expect(rule).to_contain_text("24 hours after joining")
    expect(nell.get_by_role("button", name="Start my petition")).to_have_count(0)
    expect(nell.get_by_label("Title")).to_have_count(0)
    rule.get_by_role("link", name="sign and share the petitions already here").click()
    expect(nell.locator("h1")).to_have_text("Featured petitions")
    snap(nell, "petitions-to-sign")


@JS_MODES
def test_start_with_image_sign_confirm_and_withdraw_from_the_email(
    js, person, outbox, snap, tmp_path
):
    CategoryFactory(name="Society & Culture", slug="society-culture")
    UserFactory(
        email="nadia@example.com",
        first_name="Nadia",
        last_name="Quill",
        date_joined=timezone.now() - datetime.timedelta(days=3),
    )
    image_path = picture(tmp_path)

    # Step 1: Nadia (a member for three days) starts it with a picture.
    nadia = person("nadia", js=js)
    log_in(nadia, "nadia@example.com")
    nadia.get_by_role("link", name="Start a petition").first.click()
    fill_petition(nadia, image_path)
    snap(nadia, "petition-filled")
    nadia.get_by_role("button", name="Start my petition").click()
    expect(nadia.get_by_text("Your petition is open")).to_be_visible()
    snap(nadia, "petition-open")
    expect(nadia.locator("h1")).to_have_text(TITLE)
    expect(nadia.get_by_test_id("signature-count")).to_have_text("0")
    expect(nadia.locator("img.petition-image")).to_be_visible()
    petition_url = nadia.url

    # Step 2: Lucia, who has no account, signs and is asked to check her e-mail.
    lucia = person("lucia", js=js)
    lucia.goto(petition_url)
    lucia.get_by_label("First name").fill("Lucia")
    lucia.get_by_label("Last name").fill("Moreno")
    lucia.get_by_role("textbox", name="E-mail").fill("lucia@example.org")
    lucia.get_by_label("Country").select_option(label="Spain")
    lucia.get_by_label("Your comment (optional)").fill("The path is how my son gets to school.")
    snap(lucia, "signing")
    lucia.get_by_role("button", name="Sign this petition").click()
    expect(lucia.get_by_test_id("check-email")).to_be_visible()
    snap(lucia, "check-email")

    # Step 3: she confirms from the e-mail, exactly as sent.
    sent = outbox.latest("lucia@example.org", "Please confirm your signature")
    lucia.goto(sent.link("/petitions/confirm/"))
    snap(lucia, "confirm")
    lucia.get_by_role("button", name="Confirm my signature").click()
    expect(lucia.get_by_text("Your signature is confirmed")).to_be_visible()
    snap(lucia, "confirmed")
    expect(lucia.get_by_test_id("signature-count")).to_have_text("1")
    expect(lucia.get_by_test_id("progress")).to_have_attribute("value", "1")
    expect(lucia.get_by_test_id("latest-signers")).to_contain_text("Lucia M from Spain")
    # Back on the page later, her browser shows she signed, not an empty form; the form
    # is folded away for someone else on the same device.
    lucia.goto(petition_url)
    expect(lucia.get_by_test_id("reader-signed")).to_contain_text("your signature is counted")
    expect(lucia.get_by_role("button", name="Sign this petition")).to_be_hidden()
    lucia.locator("#sign").scroll_into_view_if_needed()
    snap(lucia, "signed-before")
    lucia.get_by_text("Someone else signing on this device?").click()
    expect(lucia.get_by_role("button", name="Sign this petition")).to_be_visible()

    # Nadia sees the new count and signer too (the readers' page cache is refreshed).
    nadia.goto(petition_url)
    expect(nadia.get_by_test_id("signature-count")).to_have_text("1")
    expect(nadia.get_by_test_id("latest-signers")).to_contain_text("Lucia M from Spain")

    # Step 4: she changes her mind and withdraws with the e-mail's other link.
    lucia.goto(sent.link("/petitions/withdraw/"))
    snap(lucia, "withdraw")
    lucia.get_by_role("button", name="Withdraw my signature").click()
    expect(lucia.get_by_text("Your signature is withdrawn")).to_be_visible()
    snap(lucia, "withdrawn")
    lucia.goto(petition_url)
    expect(lucia.get_by_test_id("signature-count")).to_have_text("0")
    expect(lucia.locator("main")).not_to_contain_text("Lucia M from Spain")
    expect(lucia.get_by_test_id("reader-signed")).to_have_count(0)
    expect(lucia.get_by_role("button", name="Sign this petition")).to_be_visible()
