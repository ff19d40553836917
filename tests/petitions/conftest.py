import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.petitions.factories import PetitionFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _established_members(settings):
    """Factory members joined a moment ago; the new-member limit has its own tests."""
    settings.NEW_MEMBER_HOURS = 0


@pytest.fixture
def petition(db, member, category):
    return PetitionFactory(creator=member, category=category)


def image_upload(fmt="JPEG", size=(800, 600), name=None, exif=None, color=(200, 80, 40)):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}[fmt]
    return SimpleUploadedFile(
        name or f"photo.{ext}", buffer.getvalue(), content_type=f"image/{ext}"
    )
