"""Starting a petition: the new-member rule shown before the form, a refused form that
keeps what was typed (the image too), bounded deadlines, images processed off the request."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFile

from care2.images import open_checked
from care2.models import OutboxMessage
from care2.users.models import User
from petitions import services, tasks
from petitions.models import Petition
from tests.factories import UserFactory
from tests.petitions.conftest import image_upload

pytestmark = pytest.mark.django_db


def start_data(category, **extra):
    return {
        "title": "Light the underpass on Mill Road",
        "target": "Mill Road Highways Office",
        "why": "It is dark and people feel unsafe walking home.",
        "category": category.pk,
        "goal": 500,
        **extra,
    }


# --- Deadlines --------------------------------------------------------------------------


class TestDeadline:
    @pytest.mark.parametrize("day", ["9999-12-31", "2999-01-01"])
    def test_far_future_deadline_is_a_form_error_not_a_500(self, client, member, category, day):
        client.force_login(member)
        response = client.post(reverse("petitions:start"), start_data(category, deadline=day))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Choose a day at most 5 years ahead" in html
        assert 'value="Light the underpass on Mill Road"' in html  # what was typed is kept
        assert Petition.objects.count() == 0

    def test_five_years_ahead_is_the_latest_day(self, client, member, category):
        client.force_login(member)
        today = timezone.localdate()
        latest = today.replace(year=today.year + 5)
        too_far = latest + datetime.timedelta(days=1)
        response = client.post(
            reverse("petitions:start"), start_data(category, deadline=too_far.isoformat())
        )
        assert "Choose a day at most 5 years ahead" in response.content.decode()
        response = client.post(
            reverse("petitions:start"), start_data(category, deadline=latest.isoformat())
        )
        petition = Petition.objects.get()
        assert response.status_code == 302
        assert timezone.localtime(petition.deadline).date() == latest

    def test_the_service_refuses_a_far_deadline_for_every_caller(self, member, category):
        far = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
        with pytest.raises(services.PetitionError, match="at most 5 years ahead"):
            services.petition_start(
                creator=member,
                title="A long enough title",
                target="Someone",
                why="Because.",
                category=category,
                deadline=far,
            )
        assert Petition.objects.count() == 0


# --- Images: cheap checks in the request, re-encoding in a task ------------------------


def stored_files(media):
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


class TestPetitionImage:
    def test_stored_as_uploaded_and_reencoded_by_a_task_after_commit(
        self, client, member, category, settings, django_capture_on_commit_callbacks
    ):
        client.force_login(member)
        upload = image_upload("PNG", size=(2400, 1600))
        original = upload.read()
        upload.seek(0)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(reverse("petitions:start"), start_data(category, image=upload))
        petition = Petition.objects.get()
        assert response.status_code == 302
        # Before the task: the upload is stored as it came, the page shows a placeholder.
        assert not petition.image and petition.image_pending
        assert petition.image_upload.name.startswith("petitions/uploads/")
        assert petition.image_upload.name.endswith(".png")
        with petition.image_upload.open("rb") as handle:
            assert handle.read() == original
        assert OutboxMessage.objects.filter(
            task_name="petitions.tasks.process_image_task", args=[petition.pk]
        ).exists()
        html = client.get(petition.get_absolute_url()).content.decode()
        assert 'data-testid="image-pending"' in html and "being prepared" in html
        assert '<img class="petition-image"' not in html
        # The task runs on commit (eagerly in tests) and replaces the upload.
        with django_capture_on_commit_callbacks(execute=True):
            for callback in callbacks:
                callback()
        petition.refresh_from_db()
        assert petition.image and petition.image_thumb and not petition.image_upload
        assert (petition.image_width, petition.image_height) == (1200, 800)
        with Image.open(petition.image.path) as display:
            assert display.format == "JPEG" and display.size == (1200, 800)
        media = settings.MEDIA_ROOT
        assert not [name for name in stored_files(media) if name.startswith("petitions/uploads/")]
        html = client.get(petition.get_absolute_url()).content.decode()
        assert petition.image.url in html and 'data-testid="image-pending"' not in html

    def test_the_task_is_idempotent(self, member, category, settings):
        petition = services.petition_start(
            creator=member,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
            image=image_upload("JPEG", size=(800, 600)),
        )
        assert tasks.process_image_task(petition.pk) is True
        petition.refresh_from_db()
        files = stored_files(settings.MEDIA_ROOT)
        image_name = petition.image.name
        assert tasks.process_image_task(petition.pk) is False  # a repeated delivery
        petition.refresh_from_db()
        assert petition.image.name == image_name
        assert stored_files(settings.MEDIA_ROOT) == files

    def test_broken_pixels_behind_a_good_header_leave_no_image(self, member, category):
        good = image_upload("PNG", size=(400, 300)).read()
        broken = SimpleUploadedFile("cut.png", good[:200], content_type="image/png")
        petition = services.petition_start(
            creator=member,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
            image=broken,
        )
        assert tasks.process_image_task(petition.pk) is False
        petition.refresh_from_db()
        assert not petition.image and not petition.image_upload and not petition.image_pending

    def test_the_request_only_reads_the_header(self, client, member, category, monkeypatch):
        """No pixel is decoded while the member waits: the form never calls load()."""
        upload = image_upload("PNG", size=(3000, 2000))
        loaded = []
        real_load = ImageFile.ImageFile.load
        monkeypatch.setattr(
            ImageFile.ImageFile, "load", lambda im: loaded.append(im.size) or real_load(im)
        )
        client.force_login(member)
        response = client.post(reverse("petitions:start"), start_data(category, image=upload))
        assert response.status_code == 302
        assert loaded == []
        assert Petition.objects.get().image_pending


class TestAvatarCost:
    def test_a_6300_square_png_avatar_is_refused_with_a_clear_message(self, client, member):
        buffer = io.BytesIO()
        Image.new("RGB", (6300, 6300), (255, 255, 255)).save(buffer, format="PNG")
        assert len(buffer.getvalue()) < 200_000  # small on disk, 40 MP of pixels
        upload = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
        client.force_login(member)
        response = client.post(reverse("settings:avatar"), {"avatar": upload})
        html = response.content.decode()
        assert response.status_code == 400
        assert "The image has too many pixels (6300×6300): at most 16 megapixels" in html
        member.refresh_from_db()
        assert not member.avatar

    def test_large_jpegs_are_decoded_at_a_reduced_scale(self):
        buffer = io.BytesIO()
        Image.new("RGB", (4000, 3000), (10, 120, 40)).save(buffer, format="JPEG")
        upload = SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")
        image = open_checked(upload, max_bytes=10**7, max_pixels=16_000_000, needed=(256, 256))
        # DCT scaling decodes at 1/4 (1000×750): the smallest scale still at least twice
        # the size needed (1/8 would be 500×375, under 512).
        assert image.size == (1000, 750)

    def test_large_pngs_are_reduced_before_the_final_resize(self):
        buffer = io.BytesIO()
        Image.new("RGB", (3000, 3000), (10, 120, 40)).save(buffer, format="PNG")
        upload = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
        image = open_checked(upload, max_bytes=10**7, max_pixels=16_000_000, needed=(256, 256))
        assert image.size == (600, 600)  # reduced by 5, at least 512 px left

    def test_avatar_from_a_large_jpeg_still_has_both_sizes(self, client, member):
        buffer = io.BytesIO()
        Image.new("RGB", (4000, 3000), (10, 120, 40)).save(buffer, format="JPEG")
        upload = SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")
        client.force_login(member)
        assert client.post(reverse("settings:avatar"), {"avatar": upload}).status_code == 302
        member.refresh_from_db()
        with Image.open(member.avatar.path) as large, Image.open(member.avatar_small.path) as small:
            assert large.size == (256, 256) and small.size == (64, 64)


# --- The new-member rule, before the form -----------------------------------------------


class TestNewMemberRule:
    @pytest.fixture(autouse=True)
    def _rule(self, settings):
        settings.NEW_MEMBER_HOURS = 24

    def test_a_new_member_sees_the_rule_and_when_instead_of_the_form(self, client, category):
        with time_machine.travel("2025-06-10T14:05:00+00:00", tick=False):
            newcomer = UserFactory(first_name="Nia", date_joined=timezone.now())
            client.force_login(newcomer)
            html = client.get(reverse("petitions:start")).content.decode()
        assert 'data-testid="new-member-rule"' in html
        # 24 hours after joining, in the member's zone (New York: 10:05 EDT).
        assert "You can start a petition from Wednesday, June 11 at 10:05 AM" in html
        assert "sign and share the petitions already here" in html
        assert '<form method="post" enctype' not in html  # no form to fill in for nothing

    def test_a_refused_post_keeps_everything_typed(self, client, category):
        newcomer = UserFactory(date_joined=timezone.now())
        client.force_login(newcomer)
        response = client.post(
            reverse("petitions:start"),
            start_data(category, image=image_upload("PNG", size=(600, 400))),
        )
        html = response.content.decode()
        assert 'data-testid="new-member-rule"' in html and "What you typed is kept" in html
        assert "New members can start petitions 24 hours after joining" in html
        assert 'value="Light the underpass on Mill Road"' in html
        assert "It is dark and people feel unsafe walking home." in html
        assert 'data-testid="pending-image"' in html  # the chosen picture too
        assert Petition.objects.count() == 0

    def test_an_established_member_gets_the_form(self, client, category):
        client.force_login(UserFactory(date_joined=timezone.now() - datetime.timedelta(days=2)))
        html = client.get(reverse("petitions:start")).content.decode()
        assert 'data-testid="new-member-rule"' not in html
        assert 'enctype="multipart/form-data"' in html


# --- A re-shown form keeps the chosen picture --------------------------------------------


def pending_token_in(html: str) -> str:
    return re.search(r'name="image_token" value="([^"]*)"', html).group(1)


class TestKeepTheImage:
    def test_a_form_with_errors_keeps_the_picture_with_a_preview(
        self, client, member, category, django_capture_on_commit_callbacks
    ):
        client.force_login(member)
        response = client.post(
            reverse("petitions:start"),
            start_data(category, title="Short", image=image_upload("PNG", size=(900, 600))),
        )
        html = response.content.decode()
        assert "at least 10 characters" in html
        assert 'data-testid="pending-image"' in html and "Keep this picture" in html
        token = pending_token_in(html)
        preview = re.search(r'<img src="([^"]+)" alt="The picture you chose', html).group(1)
        shown = client.get(preview)
        assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
        # Sent again with the title fixed and no file chosen: the petition has the picture.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("petitions:start"),
                start_data(category, image_token=token, keep_image="on"),
            )
        assert response.status_code == 302
        petition = Petition.objects.get()
        assert petition.image and (petition.image_width, petition.image_height) == (900, 600)

    def test_unticking_keep_drops_the_picture(self, client, member, category, settings):
        client.force_login(member)
        html = client.post(
            reverse("petitions:start"),
            start_data(category, title="Short", image=image_upload("PNG")),
        ).content.decode()
        token = pending_token_in(html)
        response = client.post(reverse("petitions:start"), start_data(category, image_token=token))
        assert response.status_code == 302
        petition = Petition.objects.get()
        assert not petition.image and not petition.image_upload
        assert not list((settings.MEDIA_ROOT / "petitions" / "uploads").iterdir())

    def test_a_new_choice_replaces_the_kept_picture(self, client, member, category, settings):
        client.force_login(member)
        html = client.post(
            reverse("petitions:start"),
            start_data(category, title="Short", image=image_upload("PNG")),
        ).content.decode()
        token = pending_token_in(html)
        client.post(
            reverse("petitions:start"),
            start_data(category, image_token=token, keep_image="on", image=image_upload("JPEG")),
        )
        petition = Petition.objects.get()
        assert petition.image_upload.name.endswith(".jpg")
        uploads = list((settings.MEDIA_ROOT / "petitions" / "uploads").iterdir())
        assert [p.name for p in uploads] == [petition.image_upload.name.rsplit("/", 1)[1]]

    def test_someone_elses_token_is_ignored(self, client, member, other_member, category):
        client.force_login(member)
        html = client.post(
            reverse("petitions:start"),
            start_data(category, title="Short", image=image_upload("PNG")),
        ).content.decode()
        token = pending_token_in(html)
        preview = reverse("petitions:image_preview", args=[token])
        client.force_login(other_member)
        assert client.get(preview).status_code == 404
        response = client.post(
            reverse("petitions:start"), start_data(category, image_token=token, keep_image="on")
        )
        assert response.status_code == 302
        assert not Petition.objects.get().image_upload


# --- Demo members ----------------------------------------------------------------------


def test_demo_members_joined_long_ago_and_only_the_newcomer_is_new(client, settings):
    settings.NEW_MEMBER_HOURS = 24
    call_command("load_demo", stdout=io.StringIO())
    demo_members = User.objects.filter(email__endswith="@care2.example")
    newcomer = demo_members.get(email="newcomer@care2.example")
    assert (newcomer.first_name, newcomer.last_name) == ("New", "Member")
    assert newcomer.is_new_member
    assert [m.email for m in demo_members if m.is_new_member] == [newcomer.email]
    assert not newcomer.petitions_started.exists() and not newcomer.petition_signatures.exists()
    joined = dict(demo_members.values_list("email", "date_joined"))
    call_command("load_demo", stdout=io.StringIO())  # idempotent
    assert dict(demo_members.values_list("email", "date_joined")) == joined
    client.force_login(demo_members.get(email="demo@care2.example"))
    html = client.get(reverse("petitions:start")).content.decode()
    assert 'enctype="multipart/form-data"' in html and "new-member-rule" not in html
    client.force_login(newcomer)
    assert (
        'data-testid="new-member-rule"' in client.get(reverse("petitions:start")).content.decode()
    )


def test_the_newcomer_is_new_again_at_every_load_of_the_demo(settings):
    import datetime

    import time_machine

    settings.NEW_MEMBER_HOURS = 24
    call_command("load_demo", stdout=io.StringIO())
    with time_machine.travel(datetime.timedelta(days=3)):
        assert not User.objects.get(email="newcomer@care2.example").is_new_member
        call_command("load_demo", stdout=io.StringIO())  # `make run` a few days later
        assert User.objects.get(email="newcomer@care2.example").is_new_member
        assert not User.objects.get(email="demo@care2.example").is_new_member
