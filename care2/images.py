"""Uploaded pictures, checked and re-encoded with Pillow (avatars, petition images).

Only JPEG, PNG and WebP are taken, up to a byte size and a pixel count; the pixel count
is read from the header before any pixel is decoded, so a decompression bomb is refused
cheaply. What is stored is never the upload: pixels are re-encoded as JPEG, which drops
EXIF (location, camera) and anything hidden in the file.
"""

import io
import warnings

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


class ImageRejected(ValueError):
    """The upload is not an image we take; the message says why, for the form."""


def open_checked(
    upload, *, max_bytes: int, max_pixels: int, needed: tuple[int, int] | None = None
) -> Image.Image:
    """Read an upload and return its pixels (RGB, upright), or raise ImageRejected.

    ``needed`` is the largest size the caller makes from it: a JPEG is then decoded at a
    reduced scale (``Image.draft``, DCT scaling: far less time and memory), and any image
    much larger than needed is shrunk by whole factors (``Image.reduce``) before the
    caller's high-quality resize, which then has few pixels to work on.
    """
    data = _read(upload, max_bytes)
    _probe(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if needed is not None and image.format == "JPEG":
                # Keeps at least twice the needed size for a clean final resize.
                image.draft("RGB", (needed[0] * 2, needed[1] * 2))
            image.load()
            image = ImageOps.exif_transpose(image)
            if needed is not None:
                factor = min(image.width // (needed[0] * 2), image.height // (needed[1] * 2))
                if factor >= 2:
                    image = image.reduce(factor)
    except Exception:
        raise ImageRejected("This image could not be read. Try another file.") from None
    return flatten(image)


def _read(upload, max_bytes: int) -> bytes:
    megabytes = max_bytes // (1024 * 1024)
    if upload.size is not None and upload.size > max_bytes:
        raise ImageRejected(f"The image is too large: at most {megabytes} MB, please.")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is too large: at most {megabytes} MB, please.")
    return data


def check_header(upload, *, max_bytes: int, max_pixels: int) -> tuple[str, int, int]:
    """The cheap checks, from the file's size and header only (no pixel is decoded):
    returns (format, width, height) or raises ImageRejected with the reason."""
    return _probe(_read(upload, max_bytes), max_pixels)


def _probe(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            f"The image has too many pixels: at most {max_pixels // 1_000_000} megapixels, please."
        ) from None
    except UnidentifiedImageError:
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
    return fmt, width, height


def flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=name)
