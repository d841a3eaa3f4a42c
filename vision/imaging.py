"""Looking at an uploaded photo: is it what it claims, and what does its EXIF say.

Pure compute on bytes (no storage, no HTTP); refusals carry a reason code the caller
records. EXIF times without an offset are read as +08:00 (Shanghai), where the phones are.
"""

from __future__ import annotations

import functools
import io
import warnings
from datetime import datetime
from typing import IO

import cv2
import msgspec
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF", "image/heif": "HEIF"}


@functools.cache
def _register_heif() -> None:
    """Teach Pillow HEIC/HEIF once, on first use (not at import)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _ORIENTATION = 36867, 36881, 0x0112


class ImageRejected(ValueError):
    """The bytes are not an acceptable image; ``reason`` is a RejectReason value."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class ImageFacts(msgspec.Struct, frozen=True):
    format: str
    width: int
    height: int
    captured_at: datetime | None
    gps: tuple[float, float] | None  # (lng, lat) as the camera wrote it (WGS-84)
    orientation: int | None


class Inspected(msgspec.Struct, frozen=True):
    facts: ImageFacts
    thumbnail: bytes  # JPEG, upright, at most ``thumb_px`` on a side


def inspect_image(
    data: IO[bytes], declared_type: str, max_pixels: int, thumb_px: int = 320
) -> Inspected:
    """Open, size-check and decode an image, read its EXIF and make its thumbnail;
    ImageRejected if it is not what it claims.

    One decode serves both the integrity check and the thumbnail: JPEGs are decoded
    DCT-scaled (``draft``), which still reads every entropy-coded byte, so a truncated or
    corrupted file fails here as it would at full size, at a fraction of the cost.
    """
    _register_heif()
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below decides; Pillow's global one only warns.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(data)
    except UnidentifiedImageError as exc:
        raise ImageRejected("not_an_image", "no image format recognised") from exc
    except Image.DecompressionBombError as exc:
        raise ImageRejected("decompression_bomb", str(exc)) from exc
    except OSError as exc:  # recognised, but the header itself is cut short
        raise ImageRejected("corrupt_image", str(exc)) from exc
    with image:
        expected = _FORMATS.get(declared_type)
        if expected is None or image.format != expected:
            raise ImageRejected("type_mismatch", f"declared {declared_type}, is {image.format}")
        width, height = image.size
        if width * height > max_pixels:
            raise ImageRejected("decompression_bomb", f"{width}x{height} pixels")
        exif = image.getexif()
        facts = ImageFacts(
            format=image.format or "",
            width=width,
            height=height,
            captured_at=_captured_at(exif),
            gps=_gps(exif),
            orientation=exif.get(_ORIENTATION),
        )
        try:
            image.draft("RGB", (thumb_px, thumb_px))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            upright.thumbnail((thumb_px, thumb_px))
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=80)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageRejected("corrupt_image", str(exc)) from exc
        return Inspected(facts, out.getvalue())


def _captured_at(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(_EXIF_IFD)
    raw = ifd.get(_DATETIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    offset = ifd.get(_OFFSET_ORIGINAL)
    zone = offset.strip() if isinstance(offset, str) else "+08:00"  # Shanghai when absent
    try:
        return datetime.strptime(f"{raw.strip()} {zone}", "%Y:%m:%d %H:%M:%S %z")
    except ValueError:
        return None


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat = _degrees(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        lng = _degrees(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (lng, lat)


def _degrees(dms: tuple[float, float, float]) -> float:
    d, m, s = (float(x) for x in dms)
    return d + m / 60 + s / 3600


def encode_jpeg(pixels: NDArray[np.uint8], quality: int = 90) -> bytes:
    """A JPEG of BGR ``pixels`` (a video frame kept as evidence): libjpeg-turbo through
    OpenCV, about a third of Pillow's time for a 1080p frame."""
    done, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not done:
        raise ValueError(f"could not encode a {pixels.shape} frame as JPEG")
    return encoded.tobytes()
