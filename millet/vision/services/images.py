"""Reading an uploaded JPEG or PNG safely: limits first, from the header, then the pixels.

A small file can declare a huge image (a decompression bomb: a few kilobytes of PNG that inflate to
gigabytes), so the byte size is checked before anything is read and the dimensions are read from the
header (Pillow's ``Image.open`` parses only the header) before any pixel is decoded. Anything Pillow
cannot parse or decode, including a truncated file, is a corrupt image: a 422, never a 500.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from millet.core.errors import DomainError, Unprocessable

MAX_IMAGE_BYTES = 8 * 1024 * 1024  # an 8 MiB JPEG is a 24-megapixel photo at high quality
MAX_IMAGE_PIXELS = 24_000_000  # 6000 x 4000, a 24-megapixel camera; decodes to 72 MB of RGB
MAX_IMAGE_SIDE = 10_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
ORIENTATION_TAG = 0x0112
# Only JPEG and PNG are parsed at all; these signatures name what else was sent (a 415, not a 422).
OTHER_FORMATS = (
    (b"GIF8", "GIF"),
    (b"RIFF", "WebP"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\x00\x00\x00\x1cftyp", "HEIF"),
    (b"\x00\x00\x00\x18ftyp", "HEIF"),
)


class ImageTooLarge(DomainError):
    status_code = 413
    code = "image_too_large"


class UnsupportedImage(DomainError):
    status_code = 415
    code = "unsupported_image_type"


@dataclass(frozen=True)
class DecodedImage:
    """``pixels``: RGB uint8 (h, w, 3), possibly decoded at a reduced scale (``scale`` = pixels width /
    ``width``); ``width``/``height``: the image's own size after its EXIF orientation."""

    pixels: np.ndarray
    width: int
    height: int
    content_type: str

    @property
    def scale(self) -> float:
        return self.pixels.shape[1] / self.width


def check_size(size: int) -> None:
    """Refuse an upload by its byte size alone, before reading it (413 ``image_too_large``)."""
    if size > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"image is {size} bytes; the limit is {MAX_IMAGE_BYTES} bytes")


def decode_image(data: bytes, *, max_side: int | None = None) -> DecodedImage:
    """Decode a JPEG or PNG into RGB pixels.

    With ``max_side``, a large JPEG is decoded directly at a reduced scale (libjpeg's DCT scaling, at
    least ``max_side`` on the longest side), which costs a fraction of a full decode.

    Raises ``ImageTooLarge`` (413) over ``MAX_IMAGE_BYTES``; ``Unprocessable`` (422) with code
    ``empty_image``, ``corrupt_image`` or ``too_many_pixels`` (over ``MAX_IMAGE_PIXELS`` pixels or
    ``MAX_IMAGE_SIDE`` on a side, checked from the header); ``UnsupportedImage`` (415) for other formats.
    """
    check_size(len(data))
    if not data:
        raise Unprocessable("the image is empty", code="empty_image")
    try:
        with Image.open(io.BytesIO(data), formats=tuple(FORMATS)) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
                raise Unprocessable(
                    f"image is {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS} pixels and "
                    f"{MAX_IMAGE_SIDE} on a side",
                    code="too_many_pixels",
                )
            if width < 1 or height < 1:
                raise Unprocessable("the image has no pixels", code="corrupt_image")
            if max_side and image_format == "JPEG" and max(width, height) > max_side:
                factor = max_side / max(width, height)
                image.draft("RGB", (max(1, round(width * factor)), max(1, round(height * factor))))
            # EXIF orientations 5 to 8 turn the picture by 90 degrees: width and height swap.
            orientation = image.getexif().get(ORIENTATION_TAG, 1)
            oriented_size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
            if orientation != 1:  # each of these makes a copy of the pixels: only when needed
                image = ImageOps.exif_transpose(image)
            pixels = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    except DomainError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard, past twice its pixel limit
        detail = f"the image declares more than the limit of {MAX_IMAGE_PIXELS} pixels ({exc})"
        raise Unprocessable(detail[:300], code="too_many_pixels") from None
    except UnidentifiedImageError:
        other = next((name for magic, name in OTHER_FORMATS if data.startswith(magic)), None)
        if other:
            raise UnsupportedImage(f"only JPEG and PNG images are accepted, not {other}") from None
        raise Unprocessable("the data is not a JPEG or PNG image", code="corrupt_image") from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        TypeError,
        EOFError,
        IndexError,
        KeyError,
        zlib.error,
    ) as exc:
        raise Unprocessable(f"the image cannot be decoded: {exc}"[:300], code="corrupt_image") from None
    return DecodedImage(pixels, *oriented_size, FORMATS[image_format])
