"""A per-camera IoU tracker over periodic samples (snapshots seconds or minutes apart).

Cameras are polled, not streamed, so there is no motion model: a detection continues the
track of the same label whose last box overlaps it most (greedy, IoU ≥ ``iou_match``).

Stationarity (what parking and stall rules need): each track keeps an *anchor*, its box
at the start of the current stationary run. A match whose IoU with the anchor is at least
``stationary_iou`` continues the run — measured against the anchor, not the previous box,
so slow creep cannot accumulate into "stationary". Once a run has been confirmed by one
such match, ``stationary_since`` is the time the anchor was seen; a match that moved too
far re-anchors the track there and clears ``stationary_since``.

A track missed by a sample coasts (keeps its box and run, ``missed`` counts up) so that a
detector flicker or a passing bus does not reset a parked car; it is dropped once missed
for more than ``max_missed`` consecutive samples. Track ids are never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # only the fields are read; keeps onnxruntime out of rule evaluation
    from vision.detect.postprocess import Detection

Box = tuple[float, float, float, float]
FloatArray = NDArray[np.float64]


class Track(msgspec.Struct, frozen=True, kw_only=True):
    """One object followed across samples; ``box`` (pixels, xyxy) and ``score`` are from
    its latest sighting. ``missed`` is 0 when it was seen in the latest sample."""

    id: int
    label: str
    box: Box
    score: float
    first_seen: datetime
    last_seen: datetime
    hits: int
    missed: int
    stationary_since: datetime | None
    anchor: Box
    anchor_at: datetime


def iou_matrix(a: NDArray[np.floating], b: NDArray[np.floating]) -> FloatArray:
    """IoU of every xyxy box in ``a`` (rows) with every box in ``b`` (columns)."""
    ax1, ay1, ax2, ay2 = np.asarray(a, dtype=np.float64).reshape(-1, 4).T
    bx1, by1, bx2, by2 = np.asarray(b, dtype=np.float64).reshape(-1, 4).T
    width = np.minimum.outer(ax2, bx2) - np.maximum.outer(ax1, bx1)
    height = np.minimum.outer(ay2, by2) - np.maximum.outer(ay1, by1)
    inter = np.maximum(width, 0.0, out=width) * np.maximum(height, 0.0, out=height)
    area_a = np.maximum(ax2 - ax1, 0.0) * np.maximum(ay2 - ay1, 0.0)
    area_b = np.maximum(bx2 - bx1, 0.0) * np.maximum(by2 - by1, 0.0)
    union = np.add.outer(area_a, area_b) - inter
    iou: FloatArray = np.where(union > 0.0, inter / np.where(union > 0.0, union, 1.0), 0.0)
    return np.clip(iou, 0.0, 1.0, out=iou)


def box_iou(a: Box, b: Box) -> float:
    """IoU of two xyxy boxes (plain floats: cheaper than numpy for one pair)."""
    inter_w = min(a[2], b[2]) - max(a[0], b[0])
    inter_h = min(a[3], b[3]) - max(a[1], b[1])
    if inter_w <= 0.0 or inter_h <= 0.0:
        return 0.0
    inter = inter_w * inter_h
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    union = area_a + area_b - inter
    return min(inter / union, 1.0) if union > 0.0 else 0.0


def greedy_match(iou: FloatArray, threshold: float) -> list[tuple[int, int]]:
    """Pairs ``(row, column)`` taken best IoU first, each row and column at most once,
    IoU ≥ ``threshold``. Ties go to the lower row, then the lower column."""
    order = np.argsort(-iou, axis=None, kind="stable")
    rows_used: set[int] = set()
    cols_used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for flat in order:
        row, col = divmod(int(flat), iou.shape[1])
        if iou[row, col] < threshold:
            break
        if row not in rows_used and col not in cols_used:
            rows_used.add(row)
            cols_used.add(col)
            pairs.append((row, col))
    return pairs


def _box(detection: Detection) -> Box:
    return (detection.x1, detection.y1, detection.x2, detection.y2)


class Tracker:
    """Tracks of one camera. Feed every sample to :meth:`update`, in time order."""

    def __init__(
        self, iou_match: float = 0.3, stationary_iou: float = 0.6, max_missed: int = 2
    ) -> None:
        if not 0.0 < iou_match <= 1.0 or not 0.0 < stationary_iou <= 1.0:
            raise ValueError("iou_match and stationary_iou must be in (0, 1]")
        if max_missed < 0:
            raise ValueError("max_missed must not be negative")
        self.iou_match = iou_match
        self.stationary_iou = stationary_iou
        self.max_missed = max_missed
        self._tracks: list[Track] = []
        self._next_id = 1
        self._last_at: datetime | None = None

    @property
    def tracks(self) -> list[Track]:
        """The live tracks (seen or coasting), by id."""
        return list(self._tracks)

    def update(self, detections: Sequence[Detection], at: datetime) -> list[Track]:
        """Fold one sample's detections, taken at ``at`` (aware, not before the previous
        sample), into the tracks; returns the live tracks by id, coasting ones included."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        if self._last_at is not None and at < self._last_at:
            raise ValueError(f"sample at {at} is before the previous one at {self._last_at}")
        self._last_at = at
        updated: dict[int, Track] = {}
        # One IoU matrix for the whole sample, zero across labels: greedy matching over it
        # pairs exactly as matching label by label would.
        labels = [t.label for t in self._tracks]
        found = [d.label for d in detections]
        iou = iou_matrix(
            np.array([t.box for t in self._tracks]), np.array([_box(d) for d in detections])
        )
        if iou.size:
            iou *= np.equal.outer(np.array(labels, dtype=object), np.array(found, dtype=object))
        pairs = greedy_match(iou, self.iou_match) if iou.size else []
        for row, col in pairs:
            track = self._tracks[row]
            updated[track.id] = self._continue(track, detections[col], at)
        matched_cols = {col for _, col in pairs}
        # New tracks are numbered by label, then in detection order.
        unmatched = sorted(
            (i for i in range(len(detections)) if i not in matched_cols), key=lambda i: found[i]
        )
        survivors = [
            updated[t.id] if t.id in updated else msgspec.structs.replace(t, missed=t.missed + 1)
            for t in self._tracks
        ]
        self._tracks = [t for t in survivors if t.missed <= self.max_missed]
        for index in unmatched:
            self._tracks.append(self._start(detections[index], at))
        return list(self._tracks)

    def _start(self, detection: Detection, at: datetime) -> Track:
        track = Track(
            id=self._next_id,
            label=detection.label,
            box=_box(detection),
            score=detection.score,
            first_seen=at,
            last_seen=at,
            hits=1,
            missed=0,
            stationary_since=None,
            anchor=_box(detection),
            anchor_at=at,
        )
        self._next_id += 1
        return track

    def _continue(self, track: Track, detection: Detection, at: datetime) -> Track:
        box = _box(detection)
        still = box_iou(track.anchor, box) >= self.stationary_iou
        return msgspec.structs.replace(
            track,
            box=box,
            score=detection.score,
            last_seen=at,
            hits=track.hits + 1,
            missed=0,
            stationary_since=(track.stationary_since or track.anchor_at) if still else None,
            anchor=track.anchor if still else box,
            anchor_at=track.anchor_at if still else at,
        )
