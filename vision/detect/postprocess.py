"""Reading a detector's raw output: decode candidate boxes, class-wise NMS, back-projection.

Everything is vectorised numpy on one frame's output; the only Python loop is greedy NMS,
which iterates once per *kept* box of a class, not per candidate.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import msgspec
import numpy as np
from numpy.typing import NDArray

from vision.detect.card import ModelCard
from vision.detect.preprocess import Fit

YOLOX_STRIDES = (8, 16, 32)

FloatArray = NDArray[np.float32]


class Detection(msgspec.Struct, frozen=True):
    """One detected object: label, confidence and box in source-frame pixels (x1 < x2)."""

    label: str
    score: float
    x1: float
    y1: float
    x2: float
    y2: float


class Candidates(msgspec.Struct, frozen=True):
    """Above-threshold anchors: xyxy boxes in letterbox pixels, scores, class indices."""

    boxes: FloatArray
    scores: FloatArray
    classes: NDArray[np.intp]


@functools.cache
def yolox_grid(input_size: tuple[int, int], strides: tuple[int, ...] = YOLOX_STRIDES) -> FloatArray:
    """Per-anchor ``(gx, gy, stride)`` rows in YOLOX output order, cached per input size.

    Order: stride 8, 16, 32; within each, row-major (y outer, x inner).
    """
    width, height = input_size
    parts = []
    for stride in strides:
        gy, gx = np.mgrid[0 : height // stride, 0 : width // stride]
        parts.append(np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, stride)], axis=1))
    grid = np.concatenate(parts).astype(np.float32)
    grid.flags.writeable = False  # shared by every call through the cache
    return grid


def decode_yolox(
    output: NDArray[np.float32], input_size: tuple[int, int], threshold: float
) -> Candidates:
    """Decode a YOLOX head output ``[1, N, 5 + classes]`` (sigmoids already applied).

    ``score = objectness × best class probability``; anchors below ``threshold`` drop out.
    """
    rows = output[0]
    grid = yolox_grid(input_size)
    if rows.shape[0] != grid.shape[0]:
        raise ValueError(
            f"YOLOX output has {rows.shape[0]} anchors, {input_size} needs {len(grid)}"
        )
    # Class probabilities are at most 1, so objectness alone rules out most anchors
    # before the argmax over all classes.
    live = np.flatnonzero(rows[:, 4] >= threshold)
    rows, grid = rows[live], grid[live]
    classes = rows[:, 5:].argmax(axis=1)
    scores = rows[:, 4] * rows[np.arange(len(rows)), 5 + classes]
    keep = scores >= threshold
    rows, grid = rows[keep], grid[keep]
    centres = (rows[:, 0:2] + grid[:, 0:2]) * grid[:, 2:3]
    sizes = np.exp(rows[:, 2:4]) * grid[:, 2:3]
    return Candidates(_xyxy(centres, sizes), scores[keep], classes[keep])


def decode_yolov8(output: NDArray[np.float32], threshold: float) -> Candidates:
    """Decode a YOLOv8 head output ``[1, 4 + classes, N]``: cx, cy, w, h, class scores.

    There is no objectness: the score is the best class score.
    """
    columns = output[0]
    class_scores = columns[4:]
    classes = class_scores.argmax(axis=0)
    scores = class_scores[classes, np.arange(columns.shape[1])]
    keep = np.flatnonzero(scores >= threshold)
    boxes = columns[:4, keep].T
    return Candidates(_xyxy(boxes[:, 0:2], boxes[:, 2:4]), scores[keep], classes[keep])


def _xyxy(centres: FloatArray, sizes: FloatArray) -> FloatArray:
    """Centre/size boxes to corner boxes."""
    half = sizes / 2
    return np.concatenate([centres - half, centres + half], axis=1)


def iou_one_to_many(box: FloatArray, boxes: FloatArray) -> FloatArray:
    """IoU of one xyxy ``box`` with each row of ``boxes``."""
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = area + areas - inter
    iou: FloatArray = inter / np.maximum(union, np.finfo(np.float32).tiny)
    return iou


def nms(boxes: FloatArray, scores: FloatArray, iou_threshold: float) -> NDArray[np.intp]:
    """Greedy NMS: indices of kept boxes, best first; a box goes when IoU > threshold."""
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    while order.size:
        best, order = order[0], order[1:]
        kept.append(int(best))
        order = order[iou_one_to_many(boxes[best], boxes[order]) <= iou_threshold]
    return np.asarray(kept, dtype=np.intp)


# Up to this many candidates, NMS runs on one pairwise IoU matrix (at most 4 MiB)
# instead of class by class.
_MATRIX_NMS_MAX = 1024


def classwise_nms(candidates: Candidates, iou_threshold: float) -> NDArray[np.intp]:
    """NMS within each class (a car box never suppresses a truck box); kept indices,
    sorted by descending score.

    A frame's few hundred candidates go through one pairwise IoU matrix, masked to
    same-class pairs, and a greedy pass over it: a handful of numpy calls in all, where
    NMS class by class costs several per kept box (0.25–0.5 ms a frame on a street scene).
    """
    count = len(candidates.scores)
    if count == 0:
        return np.empty(0, dtype=np.intp)
    if count > _MATRIX_NMS_MAX:
        return _classwise_nms_by_class(candidates, iou_threshold)
    order = np.argsort(-candidates.scores, kind="stable")
    boxes, classes = candidates.boxes[order], candidates.classes[order]
    suppresses = pairwise_iou(boxes) > iou_threshold
    suppresses &= classes[:, None] == classes[None, :]
    kept = np.ones(count, dtype=bool)
    for best in range(count):
        if kept[best]:
            kept[best + 1 :] &= ~suppresses[best, best + 1 :]
    result: NDArray[np.intp] = order[kept]
    return result


def pairwise_iou(boxes: FloatArray) -> FloatArray:
    """IoU of every xyxy box in ``boxes`` with every other (a symmetric matrix).

    Column by column: reductions over a length-2 axis cost numpy more than the arithmetic.
    """
    x1, y1, x2, y2 = boxes.T
    width = np.minimum.outer(x2, x2) - np.maximum.outer(x1, x1)
    height = np.minimum.outer(y2, y2) - np.maximum.outer(y1, y1)
    inter = np.maximum(width, 0, out=width) * np.maximum(height, 0, out=height)
    areas = (x2 - x1) * (y2 - y1)
    union = np.add.outer(areas, areas) - inter
    iou: FloatArray = inter / np.maximum(union, np.finfo(np.float32).tiny, out=union)
    return iou


def _classwise_nms_by_class(candidates: Candidates, iou_threshold: float) -> NDArray[np.intp]:
    """``classwise_nms`` class by class, for candidate sets too large for one matrix."""
    kept = [
        members[nms(candidates.boxes[members], candidates.scores[members], iou_threshold)]
        for members in (
            np.flatnonzero(candidates.classes == c) for c in np.unique(candidates.classes)
        )
    ]
    if not kept:
        return np.empty(0, dtype=np.intp)
    indices = np.concatenate(kept)
    return indices[np.argsort(-candidates.scores[indices], kind="stable")]


def to_detections(
    candidates: Candidates,
    indices: NDArray[np.intp],
    labels: Sequence[str],
    placed: Fit,
    source: tuple[int, int],
) -> list[Detection]:
    """Map the chosen candidates back to source pixels (undo offset and ratio, clip)."""
    width, height = source
    offset = np.array([placed.dx, placed.dy, placed.dx, placed.dy], dtype=np.float64)
    boxes = (candidates.boxes[indices].astype(np.float64) - offset) / placed.ratio
    np.clip(boxes, 0.0, [width, height, width, height], out=boxes)
    return [
        Detection(labels[c], s, x1, y1, x2, y2)
        for c, s, (x1, y1, x2, y2) in zip(
            candidates.classes[indices].tolist(),
            candidates.scores[indices].tolist(),
            boxes.tolist(),
            strict=True,
        )
    ]


def postprocess(
    output: NDArray[np.float32], card: ModelCard, placed: Fit, source: tuple[int, int]
) -> list[Detection]:
    """Raw model output to detections in source pixels, sorted by descending score."""
    if output_classes(output.shape, card) != len(card.labels):
        raise ValueError(f"output {output.shape} does not fit the labels of card {card.name!r}")
    if card.family == "yolox":
        candidates = decode_yolox(output, card.input_size, card.score_threshold)
    else:
        candidates = decode_yolov8(output, card.score_threshold)
    indices = classwise_nms(candidates, card.nms_iou)
    return to_detections(candidates, indices, card.labels, placed, source)


def output_classes(shape: Sequence[int | str | None], card: ModelCard) -> int | None:
    """How many classes an output of ``shape`` carries for the card's family (None if the
    axis is dynamic): YOLOX ``[1, N, 5 + classes]``, YOLOv8 ``[1, 4 + classes, N]``."""
    width = shape[2] if card.family == "yolox" else shape[1]
    if not isinstance(width, int):
        return None
    return width - (5 if card.family == "yolox" else 4)
