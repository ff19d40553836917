import io
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_file(fmt="PNG", size=(300, 200), name="me.png", exif=False):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        kwargs["exif"] = data
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_settings_page_needs_log_in(client):
    assert client.get(reverse("settings:index")).status_code == 302


def test_member_changes_names_time_zone_and_preferences(client, member):
    client.force_login(member)
    assert client.get(reverse("settings:index")).status_code == 200
    response = client.post(
        reverse("settings:index"),
        {
            "first_name": "Elisabeth",
            "last_name": "stone",
            "bio": "I grow beans.",
            "time_zone": "Europe/Paris",
            "email_on_tracked_comments": "on",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.public_name == "Elisabeth S"
    assert member.time_zone == "Europe/Paris"
    assert member.email_on_tracked_comments is True
    assert member.email_on_petition_updates is False


@pytest.mark.allow_credit_drift  # the balance is moved here without a ledger entry
def test_saving_settings_never_writes_the_balance_it_was_read_with(client, member):
    """The ledger moves the balance meanwhile (here the row changes under the member
    object this request holds): the settings save writes its own columns only."""
    from care2.users.models import User

    client.force_login(member)
    client.get(reverse("settings:index"))  # the member's row is now cached as read
    User.objects.filter(pk=member.pk).update(credits_balance=50, credits_earned=50)
    response = client.post(
        reverse("settings:index"),
        {"first_name": "Beth", "last_name": "smith", "bio": "", "time_zone": "UTC"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.credits_balance, member.credits_earned) == (50, 50)
    assert member.bio == ""


def test_bad_settings_keep_what_was_typed(client, member):
    client.force_login(member)
    response = client.post(
        reverse("settings:index"),
        {"first_name": " ", "last_name": "Kept", "time_zone": "Mars/Olympus"},
    )
    html = response.content.decode()
    assert "Enter a first name" in html or "This field is required" in html
    assert "valid choice" in html
    assert 'value="Kept"' in html


def test_avatar_is_square_two_sizes_and_exif_free(client, member, media):
    client.force_login(member)
    response = client.post(
        reverse("settings:avatar"), {"avatar": image_file("JPEG", (800, 500), "me.jpg", exif=True)}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    with Image.open(member.avatar.path) as large, Image.open(member.avatar_small.path) as small:
        assert large.size == (256, 256) and small.size == (64, 64)
        assert large.format == "JPEG"
        assert not large.getexif()
    html = client.get(reverse("settings:index")).content.decode()
    assert member.avatar.url in html


@pytest.mark.parametrize(
    "upload,message",
    [
        (
            SimpleUploadedFile("evil.png", b"<?php echo 1; ?>" * 10, content_type="image/png"),
            "not an image",
        ),
        (image_file("GIF", name="anim.gif"), "JPEG, PNG or WebP"),
        ("bomb", "too many pixels"),
        ("huge", "too large"),
    ],
)
def test_bad_avatars_get_a_clear_message_and_nothing_is_stored(
    client, member, media, settings, upload, message
):
    if upload == "bomb":
        # A tiny file that claims 20,000 × 20,000 pixels: refused from the header.
        buffer = io.BytesIO()
        Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
        upload = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    elif upload == "huge":
        settings.AVATAR_MAX_BYTES = 1000
        upload = image_file("PNG", (600, 600))
    client.force_login(member)
    response = client.post(reverse("settings:avatar"), {"avatar": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar
    assert not list(media.rglob("*.jpg"))


def test_remove_avatar_falls_back_to_initials(
    client, member, media, django_capture_on_commit_callbacks
):
    client.force_login(member)
    client.post(reverse("settings:avatar"), {"avatar": image_file()})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("settings:avatar_remove"))
    member.refresh_from_db()
    assert not member.avatar
    assert not list(media.rglob("*.jpg"))
    assert ">BS</text>" in client.get(reverse("settings:index")).content.decode()


def test_time_zone_choices_are_real_zones():
    from care2.users.models import time_zone_choices

    names = [name for name, _ in time_zone_choices()]
    assert "America/New_York" in names
    assert all(zoneinfo.ZoneInfo(n) for n in names[:5])


def test_settings_list_tracked_stories_and_stop_tracking(client, member, published_story):
    from comments.models import Tracking
    from comments.services import tracking_start

    tracking_start(member=member, story=published_story)
    client.force_login(member)
    html = client.get(reverse("settings:index")).content.decode()
    assert "Stories you track" in html and published_story.title in html
    response = client.post(
        reverse("comments:track", args=[published_story.pk]),
        {"action": "stop", "next": reverse("settings:index")},
    )
    assert response["Location"] == reverse("settings:index")
    assert not Tracking.objects.filter(member=member).exists()
