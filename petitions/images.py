"""A petition's image: checked and re-encoded by ``care2.images`` (JPEG, PNG or WebP, up
to PETITION_IMAGE_MAX_BYTES and PETITION_IMAGE_MAX_PIXELS), stored at a display size and
a thumbnail size.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from care2.images import ImageRejected, encode_jpeg, open_checked

__all__ = ["ImageRejected", "ProcessedImage", "process_image"]

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
