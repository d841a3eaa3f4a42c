"""Turning frame bytes into a model input tensor: decode, letterbox, lay out as NCHW.

The resize is Pillow's BILINEAR (which antialiases when it shrinks) because the reference
detections in the test data were made with it; OpenCV's INTER_LINEAR moves near-threshold
detections noticeably (see testdata/EXPECTED.md, *Sensitivity*).
"""

from __future__ import annotations

import io
from typing import Final

import msgspec
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.detect.card import ColourOrder, ModelCard

# A DCT-scaled JPEG decode stays at least this many times the letterbox size (the
# ``reducing_gap`` of Pillow's ``thumbnail``). 1 lets a 1080p frame decode at a quarter
# (480×270) for a 416 model: decode + letterbox 4.1 ms instead of 6.5 ms at 2 (half size),
# the DCT scaling itself doing the antialiasing; confident detections stay within 0.05 of
# the full decode (tests/unit/vision/test_detector.py).
REDUCING_GAP: Final = 1.0


class Frame(msgspec.Struct, frozen=True):
    """A decoded frame: its pixels, maybe DCT-scaled, and the source size they stand for.

    Boxes are always reported in source pixels (``width`` × ``height``); ``scale`` is the
    JPEG DCT reduction (1, 2, 4 or 8) that ``image`` was decoded at.
    """

    image: Image.Image
    width: int
    height: int
    scale: int = 1

    @classmethod
    def of(cls, image: Image.Image) -> Frame:
        """Wrap an already decoded, full-size image (converted to RGB if it is not)."""
        return cls(image if image.mode == "RGB" else image.convert("RGB"), *image.size)


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


def decode_frame(
    data: bytes, target: tuple[int, int], *, reducing_gap: float | None = REDUCING_GAP
) -> Frame:
    """Decode image bytes to an RGB frame for a model whose input is ``target`` (w, h).

    A JPEG much larger than the model input is decoded DCT-scaled (``draft``), several
    times cheaper; the reduction stops while the decoded image is still ``reducing_gap``
    times the letterbox size. Confident detections stay put, but ones near the score
    threshold can shift or flip; ``reducing_gap=None`` decodes at full size, exactly as
    the reference pipeline in the test data does.
    EXIF orientation is not applied: boxes refer to the pixels as stored, as the evidence is.
    """
    opened = Image.open(io.BytesIO(data))
    width, height = opened.size
    scale = 1
    if opened.format == "JPEG" and reducing_gap is not None:
        in_w, in_h = target
        ratio = min(in_w / width, in_h / height)
        wanted = (
            max(1, int(width * ratio * reducing_gap)),
            max(1, int(height * ratio * reducing_gap)),
        )
        # Pillow picks the largest DCT scale whose output still covers ``wanted``.
        drafted = opened.draft("RGB", wanted)
        if drafted is not None:
            scale = round(width / drafted[1][2])  # the box is (0, 0, width/scale, height/scale)
    if opened.mode != "RGB":
        return Frame(opened.convert("RGB"), width, height, scale)
    opened.load()
    return Frame(opened, width, height, scale)


def letterbox(
    frame: Frame | Image.Image, card: ModelCard, *, source_order: ColourOrder = "rgb"
) -> tuple[NDArray[np.float32], float]:
    """Resize and pad a frame onto the card's input; returns (tensor [1,3,H,W], ratio).

    ``ratio`` maps source pixels to letterbox pixels (divide a model box by it, after
    removing the ``fit`` offset). ``source_order`` is the channel order of ``frame``'s
    pixels (``bgr`` for an OpenCV/ffmpeg array wrapped with ``Image.fromarray``).
    """
    if isinstance(frame, Image.Image):
        frame = Frame.of(frame)
    placed = fit((frame.width, frame.height), card)
    # ``box`` is the part of a DCT-scaled image that covers the source frame: its last
    # row/column may stand for only part of a block, so the true scale is exactly 1/scale.
    box = (0.0, 0.0, frame.width / frame.scale, frame.height / frame.scale)
    resized = frame.image.resize((placed.width, placed.height), Image.Resampling.BILINEAR, box)
    return to_tensor(np.asarray(resized), card, placed, source_order=source_order), placed.ratio


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
