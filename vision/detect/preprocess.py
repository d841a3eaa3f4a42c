"""Turning frame bytes into a model input tensor: decode, letterbox, lay out as NCHW.

Two ways, chosen per detector:

* **fast** (the default): a JPEG much larger than the model input is decoded DCT-scaled
  by OpenCV's libjpeg-turbo (1/2, 1/4 or 1/8 of its size, straight to BGR, EXIF ignored),
  and the remaining reduction — under 2× after the DCT scaling, which did the
  antialiasing — is OpenCV's INTER_LINEAR. A 1080p camera frame for a 416 model costs
  about 3.1 ms + 0.25 ms, where Pillow's ``draft`` decode and BILINEAR resize took
  3.7 ms + 1.3 ms (``bench_vision.py``). Other formats decode with Pillow; a frame that
  arrives decoded and large (a video frame, a PNG) is first box-averaged by an integer
  factor (INTER_AREA), then INTER_LINEAR does the rest, as for a DCT-scaled JPEG.
* **exact**: Pillow decodes at full size and its BILINEAR (which antialiases when it
  shrinks) resizes, as the reference detections in the test data were made; OpenCV's
  INTER_LINEAR on a full-size frame moves near-threshold detections noticeably (see
  testdata/EXPECTED.md, *Sensitivity*).
"""

from __future__ import annotations

import io
from typing import Final

import cv2
import msgspec
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.detect.card import ColourOrder, ModelCard

# A DCT-scaled JPEG decode stays at least this many times the letterbox size. 1 lets a
# 1080p frame decode at a quarter (480×270) for a 416 model, the DCT scaling itself doing
# the antialiasing; confident detections stay within 0.05 of the full decode
# (tests/unit/vision/test_detector.py).
REDUCING_GAP: Final = 1.0

_DCT_FLAGS: Final = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
_JPEG_END = b"\xff\xd9"

UInt8Array = NDArray[np.uint8]


class Frame(msgspec.Struct, frozen=True):
    """A decoded frame: HWC uint8 ``pixels`` in ``order``, maybe DCT-scaled, and the
    source size they stand for.

    Boxes are always reported in source pixels (``width`` × ``height``); ``scale`` is the
    JPEG DCT reduction (1, 2, 4 or 8) that ``pixels`` were decoded at.
    """

    pixels: UInt8Array
    width: int
    height: int
    order: ColourOrder = "rgb"
    scale: int = 1

    @classmethod
    def of(cls, image: Image.Image) -> Frame:
        """Wrap an already decoded, full-size image (converted to RGB if it is not)."""
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return cls(np.asarray(rgb), *image.size)

    @classmethod
    def of_array(cls, pixels: UInt8Array, order: ColourOrder = "rgb") -> Frame:
        """Wrap an HWC uint8 array (e.g. a video frame; ``bgr`` from OpenCV or FFmpeg)."""
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 array, got {pixels.dtype} {pixels.shape}")
        return cls(pixels, pixels.shape[1], pixels.shape[0], order)


class Fit(msgspec.Struct, frozen=True):
    """Where a frame lands on the model input: scale ``ratio``, resized size, offset."""

    ratio: float
    width: int
    height: int
    dx: int
    dy: int


def fit(source: tuple[int, int], card: ModelCard) -> Fit:
    """Letterbox geometry for a ``source`` (w, h) frame on the card's input.

    ``ratio = min(W/w, H/h)``; the resized size truncates (``int(w * ratio)``) as the YOLOX
    reference does; a ``centre`` letterbox puts the odd padding pixel right / bottom.
    """
    (w, h), (in_w, in_h) = source, card.input_size
    ratio = min(in_w / w, in_h / h)
    new_w, new_h = max(1, int(w * ratio)), max(1, int(h * ratio))
    if card.letterbox == "centre":
        return Fit(ratio, new_w, new_h, (in_w - new_w) // 2, (in_h - new_h) // 2)
    return Fit(ratio, new_w, new_h, 0, 0)


def dct_scale(source: tuple[int, int], target: tuple[int, int], reducing_gap: float) -> int:
    """The largest JPEG DCT reduction (1, 2, 4 or 8) that keeps a ``source`` (w, h) frame
    at least ``reducing_gap`` times its letterbox size on a ``target`` (w, h) input."""
    (width, height), (in_w, in_h) = source, target
    ratio = min(in_w / width, in_h / height)
    wanted_w = max(1, int(width * ratio * reducing_gap))
    wanted_h = max(1, int(height * ratio * reducing_gap))
    room = min(width // wanted_w, height // wanted_h)
    return max(scale for scale in (1, 2, 4, 8) if scale <= max(room, 1))


def decode_frame(
    data: bytes, target: tuple[int, int], *, reducing_gap: float | None = REDUCING_GAP
) -> Frame:
    """Decode image bytes to a frame for a model whose input is ``target`` (w, h).

    With ``reducing_gap``, a JPEG is decoded by OpenCV, DCT-scaled when it is much larger
    than the model input (``dct_scale``), to BGR. ``None`` decodes at full size with
    Pillow, to RGB, exactly as the reference pipeline in the test data does; so does any
    other format. EXIF orientation is not applied: boxes refer to the pixels as stored,
    as the evidence is. A JPEG cut short raises ``OSError``, as Pillow would.
    """
    opened = Image.open(io.BytesIO(data))  # reads the header only
    width, height = opened.size
    if opened.format == "JPEG" and reducing_gap is not None:
        opened.close()
        scale = dct_scale((width, height), target, reducing_gap)
        if _JPEG_END not in data[-32:]:
            raise OSError("JPEG frame is truncated (no end-of-image marker)")
        flags = _DCT_FLAGS[scale] | cv2.IMREAD_IGNORE_ORIENTATION
        decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
        if decoded is None:
            raise OSError("JPEG frame could not be decoded")
        return Frame(decoded.astype(np.uint8, copy=False), width, height, "bgr", scale)
    with opened:
        rgb = opened if opened.mode == "RGB" else opened.convert("RGB")
        return Frame(np.asarray(rgb), width, height)


def letterbox(
    frame: Frame | Image.Image, card: ModelCard, *, exact: bool = False
) -> tuple[NDArray[np.float32], float]:
    """Resize and pad a frame onto the card's input; returns (tensor [1,3,H,W], ratio).

    ``ratio`` maps source pixels to letterbox pixels (divide a model box by it, after
    removing the ``fit`` offset). ``exact`` resizes with Pillow's BILINEAR, as the
    reference did; otherwise OpenCV resizes (see the module notes). A DCT-scaled frame
    whose size is not a multiple of its scale is resized as decoded: its last row and
    column stand for part of a block, an error under one decoded pixel.
    """
    if isinstance(frame, Image.Image):
        frame = Frame.of(frame)
    placed = fit((frame.width, frame.height), card)
    size = (placed.width, placed.height)
    pixels = frame.pixels
    if exact:
        box = (0.0, 0.0, frame.width / frame.scale, frame.height / frame.scale)
        image = Image.fromarray(np.ascontiguousarray(pixels))
        resized = np.asarray(image.resize(size, Image.Resampling.BILINEAR, box))
    elif size == (pixels.shape[1], pixels.shape[0]):
        resized = pixels
    else:
        resized = cv2.resize(_area_reduced(pixels, size), size, interpolation=cv2.INTER_LINEAR)
    return to_tensor(resized, card, placed, source_order=frame.order), placed.ratio


def _area_reduced(pixels: UInt8Array, size: tuple[int, int]) -> UInt8Array:
    """``pixels`` box-averaged by the largest integer factor that keeps them at least
    ``size`` (w, h), so that what is left to INTER_LINEAR is under 2×: what a JPEG's
    DCT scaling does, for frames that come decoded (video, PNG). An integer factor is
    OpenCV's fast INTER_AREA path: 2.5 ms for a 1080p frame in two steps, where one
    INTER_AREA step to a fractional size takes 7.6 ms. Up to ``factor - 1`` edge rows
    and columns are dropped, under one model pixel."""
    height, width = pixels.shape[:2]
    factor = min(width // size[0], height // size[1])
    if factor < 2:
        return pixels
    kept = pixels[: height // factor * factor, : width // factor * factor]
    reduced = cv2.resize(kept, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    return reduced.astype(np.uint8, copy=False)


def to_tensor(
    pixels: NDArray[np.uint8], card: ModelCard, placed: Fit, *, source_order: ColourOrder = "rgb"
) -> NDArray[np.float32]:
    """Lay resized HWC uint8 ``pixels`` out on a padded float32 NCHW canvas.

    One strided copy per channel does the HWC→CHW transpose, the colour swap and the
    float conversion together, with no intermediate arrays.
    """
    in_w, in_h = card.input_size
    tensor = np.full((1, 3, in_h, in_w), card.pad_value, dtype=np.float32)
    rows = slice(placed.dy, placed.dy + pixels.shape[0])
    cols = slice(placed.dx, placed.dx + pixels.shape[1])
    order = (0, 1, 2) if source_order == card.colour_order else (2, 1, 0)
    for plane, channel in enumerate(order):
        tensor[0, plane, rows, cols] = pixels[:, :, channel]
    if card.normalise == "unit":
        np.divide(tensor, 255.0, out=tensor)
    return tensor
