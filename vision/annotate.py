"""The annotated copy of a camera frame: boxes, zone outline, camera id and time."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

Box = tuple[float, float, float, float]


def annotate(
    frame: bytes,
    boxes: Sequence[tuple[str, float, Box]],
    zones: Sequence[Sequence[tuple[float, float]]],
    caption: str,
) -> bytes:
    """A JPEG of ``frame`` with labelled boxes, zone polygons (normalised) and a caption."""
    with Image.open(io.BytesIO(frame)) as source:
        image = source.convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for polygon in zones:
        draw.polygon([(x * w, y * h) for x, y in polygon], outline=(255, 200, 0), width=3)
    for label, score, (x1, y1, x2, y2) in boxes:
        draw.rectangle((x1, y1, x2, y2), outline=(255, 40, 40), width=3)
        draw.text((x1 + 3, max(0, y1 - 14)), f"{label} {score:.2f}", fill=(255, 40, 40))
    draw.rectangle((0, h - 18, w, h), fill=(0, 0, 0))
    draw.text((4, h - 16), caption, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()
