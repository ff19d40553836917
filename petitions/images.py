"""A petition's image: checked and re-encoded by ``care2.images`` (JPEG, PNG or WebP, up
to PETITION_IMAGE_MAX_BYTES and PETITION_IMAGE_MAX_PIXELS), stored at a display size and
a thumbnail size.

The request only runs the cheap checks (size and header, no pixel decoded) and stores
the file as uploaded (``store_upload``); decoding and re-encoding, which can take seconds
and hundreds of megabytes for a large picture, happen in a Celery task
(``petitions.tasks.process_image_task``) while the page shows a placeholder.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from care2.images import ImageRejected, check_header, encode_jpeg, open_checked

__all__ = [
    "ImageRejected",
    "ProcessedImage",
    "check_upload",
    "pending_from_token",
    "pending_token",
    "process_image",
    "store_upload",
]

# Uploads as they came, waiting for the task (or for a refused form to be sent again).
UPLOAD_DIR = "petitions/uploads"
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PENDING_SALT = "petitions.pending_image"
PENDING_MAX_AGE = 24 * 3600

DISPLAY_BOX = (1200, 1200)
THUMB_SIZE = (480, 270)


@dataclass(frozen=True)
class ProcessedImage:
    display: ContentFile
    thumb: ContentFile
    width: int
    height: int


def process_image(upload) -> ProcessedImage:
    """Check an uploaded file and return the display image and the thumbnail to store."""
    image = open_checked(
        upload,
        max_bytes=settings.PETITION_IMAGE_MAX_BYTES,
        max_pixels=settings.PETITION_IMAGE_MAX_PIXELS,
        needed=DISPLAY_BOX,
    )
    display = image.copy()
    display.thumbnail(DISPLAY_BOX, Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, THUMB_SIZE, Image.Resampling.LANCZOS)
    return ProcessedImage(
        display=encode_jpeg(display, "petition.jpg"),
        thumb=encode_jpeg(thumb, "petition-thumb.jpg"),
        width=display.width,
        height=display.height,
    )


def check_upload(upload) -> str:
    """The cheap checks (size, format, pixel count from the header); returns the format."""
    fmt, _width, _height = check_header(
        upload,
        max_bytes=settings.PETITION_IMAGE_MAX_BYTES,
        max_pixels=settings.PETITION_IMAGE_MAX_PIXELS,
    )
    return fmt


def store_upload(upload) -> str:
    """Check an upload cheaply and store it as it came, under a random name with the
    extension of its real format; returns the storage name."""
    fmt = check_upload(upload)
    upload.seek(0)
    return default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}.{EXTENSIONS[fmt]}", upload)


def is_stored_upload(name: str) -> bool:
    return (
        isinstance(name, str)
        and name.startswith(UPLOAD_DIR + "/")
        and ".." not in name
        and default_storage.exists(name)
    )


def pending_token(*, name: str, user_id: int) -> str:
    """A signed reference to a stored upload, for the hidden field of a re-shown form."""
    return signing.dumps({"name": name, "user": user_id}, salt=PENDING_SALT)


def pending_from_token(token: str, *, user_id: int) -> str | None:
    """The stored upload a token names, if the token is this member's, recent and the
    file is still there."""
    try:
        data = signing.loads(token, salt=PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user_id:
        return None
    name = data.get("name")
    if not is_stored_upload(name):
        return None
    return name
