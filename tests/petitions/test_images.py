"""Image validation with real files: what we store is always re-encoded by us."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions.images import ImageRejected, process_image
from tests.petitions.conftest import image_upload


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width``×``height`` pixels but holds a few bytes: a bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_are_reencoded_to_jpeg(fmt):
    result = process_image(image_upload(fmt, size=(1600, 900)))
    display = Image.open(io.BytesIO(result.display.read()))
    thumb = Image.open(io.BytesIO(result.thumb.read()))
    assert display.format == thumb.format == "JPEG"
    assert display.size == (1200, 675) == (result.width, result.height)
    assert thumb.size == (480, 270)


def test_small_image_is_not_enlarged():
    result = process_image(image_upload("PNG", size=(300, 200)))
    assert (result.width, result.height) == (300, 200)


def test_exif_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0132] = "2026:01:01 10:00:00"
    upload = image_upload("JPEG", exif=exif.tobytes())
    assert b"SpyCam" in upload.read()
    upload.seek(0)
    result = process_image(upload)
    data = result.display.read()
    assert b"SpyCam" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_transparent_png_is_flattened_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(buffer, format="PNG")
    result = process_image(SimpleUploadedFile("clear.png", buffer.getvalue()))
    pixel = Image.open(io.BytesIO(result.display.read())).getpixel((25, 25))
    assert all(channel > 245 for channel in pixel)


def test_decompression_bomb_is_refused():
    bomb = SimpleUploadedFile("bomb.png", png_header_only(100_000, 100_000))
    with pytest.raises(ImageRejected, match="too many pixels"):
        process_image(bomb)


def test_header_over_40_megapixels_is_refused_before_decoding():
    sneaky = SimpleUploadedFile("wide.png", png_header_only(8000, 6000))  # 48 MP
    with pytest.raises(ImageRejected, match="too many pixels"):
        process_image(sneaky)


def test_huge_real_png_is_refused():
    buffer = io.BytesIO()
    Image.new("L", (7000, 6000), 128).save(buffer, format="PNG")  # 42 MP, a small file
    with pytest.raises(ImageRejected, match="too many pixels"):
        process_image(SimpleUploadedFile("huge.png", buffer.getvalue()))


def test_non_image_with_image_extension_is_refused():
    fake = SimpleUploadedFile(
        "cat.jpg", b"%PDF-1.4 this is a document, not a cat", content_type="image/jpeg"
    )
    with pytest.raises(ImageRejected, match="not an image"):
        process_image(fake)


def test_truncated_image_is_refused():
    data = image_upload("JPEG", size=(800, 600)).read()
    with pytest.raises(ImageRejected):
        process_image(SimpleUploadedFile("cut.jpg", data[: len(data) // 3]))


@pytest.mark.parametrize("fmt", ["GIF", "BMP"])
def test_other_formats_are_refused(fmt):
    with pytest.raises(ImageRejected, match="JPEG, PNG or WebP"):
        process_image(image_upload(fmt, size=(40, 40)))


def test_file_over_10_mb_is_refused(settings):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ImageRejected, match="too large"):
        process_image(big)
