"""A petition's image: checked, re-encoded and resized with Pillow.

Only JPEG, PNG and WebP are taken, up to PETITION_IMAGE_MAX_BYTES and
PETITION_IMAGE_MAX_PIXELS (the size is read from the header, before any pixel is
decoded, so a decompression bomb is refused cheaply). What we store is never the upload:
the pixels are re-encoded as JPEG at a display size and a thumbnail size, which drops EXIF
(location, camera) and anything hidden in the file.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_BOX = (1200, 1200)
THUMB_SIZE = (480, 270)


class ImageRejected(ValueError):
    """The upload is not an image we take; the message says why, for the form."""


@dataclass(frozen=True)
class ProcessedImage:
    display: ContentFile
    thumb: ContentFile
    width: int
    height: int


def _encode(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=name)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def process_image(upload) -> ProcessedImage:
    """Check an uploaded file and return the display image and the thumbnail to store."""
    max_bytes = settings.PETITION_IMAGE_MAX_BYTES
    max_pixels = settings.PETITION_IMAGE_MAX_PIXELS
    if upload.size is not None and upload.size > max_bytes:
        raise ImageRejected(
            f"The image is too large: at most {max_bytes // (1024 * 1024)} MB, please."
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(
            f"The image is too large: at most {max_bytes // (1024 * 1024)} MB, please."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            "This file is not an image we can use. Upload a JPEG, PNG or WebP picture."
        ) from None
    except Exception:
        raise ImageRejected("This image could not be read. Try another file.") from None
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected("Upload a JPEG, PNG or WebP picture (this one is not).")
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image has too many pixels ({width}×{height}): at most "
            f"{max_pixels // 1_000_000} megapixels, please."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
            image = ImageOps.exif_transpose(image)
    except Exception:
        raise ImageRejected("This image could not be read. Try another file.") from None
    image = _flatten(image)
    display = image.copy()
    display.thumbnail(DISPLAY_BOX, Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, THUMB_SIZE, Image.Resampling.LANCZOS)
    return ProcessedImage(
        display=_encode(display, "petition.jpg"),
        thumb=_encode(thumb, "petition-thumb.jpg"),
        width=display.width,
        height=display.height,
    )
