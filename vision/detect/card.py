"""Model cards: how to feed a detector and read what it says, kept apart from the weights.

A card names the architecture family, input size, colour order, normalisation, letterbox
placement and labels, so a bureau's own fine-tuned model (garbage, stalls, muck trucks)
plugs in by configuration. The ONNX file path is a deployment setting, not part of a card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import msgspec

Family = Literal["yolox", "yolov8"]
ColourOrder = Literal["rgb", "bgr"]

BUNDLED_CARDS = Path(__file__).resolve().parents[1] / "models"

_Unit = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
_Side = Annotated[int, msgspec.Meta(ge=32)]


class ModelCard(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a detector model expects as input and how to decode its output.

    ``normalise``: ``none`` feeds 0..255 floats (YOLOX), ``unit`` divides by 255 (YOLOv8).
    ``letterbox``: ``top_left`` pastes the resized frame at the origin (YOLOX), ``centre``
    splits the padding evenly (YOLOv8). Labels are in the model's class-index order.
    """

    name: str
    family: Family
    input_size: tuple[_Side, _Side]  # (width, height) of the model input, in pixels
    colour_order: ColourOrder
    normalise: Literal["none", "unit"]
    letterbox: Literal["top_left", "centre"]
    pad_value: Annotated[int, msgspec.Meta(ge=0, le=255)]
    labels: list[str]
    score_threshold: _Unit
    nms_iou: _Unit

    def __post_init__(self) -> None:
        if not self.labels:
            raise ValueError(f"model card {self.name!r} lists no labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"model card {self.name!r} repeats a label")


def load_card(path: str | Path) -> ModelCard:
    """Read and validate a model card from a JSON file (e.g. ``vision/models/*.json``).

    Raises ``msgspec.ValidationError`` when a field is missing, unknown or out of range.
    """
    return msgspec.json.decode(Path(path).read_bytes(), type=ModelCard)


def bundled_card(name: str) -> ModelCard:
    """A card shipped with the code in ``vision/models`` (e.g. ``"yolox_nano_coco"``)."""
    return load_card(BUNDLED_CARDS / f"{name}.json")
