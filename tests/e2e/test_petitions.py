"""A member starts a petition with an image; a reader signs, confirms from the e-mail and
sees the count and progress bar move; the same e-mail cannot sign twice."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.utils import timezone
from PIL import Image

from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/$"))


def sign_as_reader(page, petition_url, email):
    page.goto(petition_url)
    page.get_by_label("First name").fill("Lucia")
    page.get_by_label("Last name").fill("Moreno")
    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_label("Country").select_option(label="Spain")
    page.get_by_label("Your comment (optional)").fill("The path is how my son gets to school.")
    page.get_by_role("button", name="Sign this petition").click()


def test_start_sign_confirm_and_refuse_duplicate(open_browser, settings, artifacts_dir, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    CategoryFactory(name="Society & Culture", slug="society-culture")
    creator = UserFactory(
        email="creator@example.com",
        first_name="Nadia",
        last_name="Quill",
        date_joined=timezone.now() - datetime.timedelta(days=3),
    )
    image_path = tmp_path / "path.png"
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 120, 60)).save(buffer, format="PNG")
    image_path.write_bytes(buffer.getvalue())

    page = open_browser()
    log_in(page, creator.email)
    page.get_by_role("link", name="Start a petition").first.click()
    page.get_by_label("Title").fill("Keep the riverside path open after dark")
    page.get_by_label("Whom does it address?").fill("The Riverside District Council")
    page.get_by_label("Why it matters").fill(
        "The riverside path is the only route to school that avoids the ring road.\n\n"
        "Closing it at dusk sends children onto a four-lane road."
    )
    page.get_by_label("Category").select_option(label="Society & Culture")
    page.get_by_label("Image").set_input_files(str(image_path))
    page.get_by_label("Signature goal").fill("10")
    page.get_by_role("button", name="Start my petition").click()
    page.get_by_text("Your petition is open").wait_for()
    petition_url = page.url
    assert "Keep the riverside path open after dark" in page.locator("h1").inner_text()
    assert page.get_by_test_id("signature-count").inner_text() == "0"
    has_image = in_thread(
        lambda: bool(__import__("petitions.models").models.Petition.objects.get().image)
    )
    assert has_image

    reader = open_browser()
    sign_as_reader(reader, petition_url, "lucia@example.org")
    reader.get_by_test_id("check-email").wait_for()
    assert len(mail.outbox) == 1
    confirm_path = re.search(r"(/petitions/confirm/[^/\s]+/)", mail.outbox[0].body).group(1)
    reader.goto(confirm_path)
    reader.get_by_role("button", name="Confirm my signature").click()
    reader.get_by_text("Your signature is confirmed").wait_for()
    assert reader.get_by_test_id("signature-count").inner_text() == "1"
    assert reader.get_by_test_id("progress").get_attribute("value") == "1"
    assert "Lucia M from Spain" in reader.get_by_test_id("latest-signers").inner_text()
    reader.screenshot(path=str(artifacts_dir / "petition-page.png"), full_page=True)

    second = open_browser()
    sign_as_reader(second, petition_url, " LUCIA@example.org ")
    second.get_by_text("You have already signed this petition").wait_for()
    # What was typed is kept.
    assert second.get_by_label("First name").input_value() == "Lucia"
    assert second.get_by_test_id("signature-count").inner_text() == "1"
    assert len(mail.outbox) == 1
    count = in_thread(lambda: __import__("petitions.models").models.Signature.objects.count())
    assert count == 1
