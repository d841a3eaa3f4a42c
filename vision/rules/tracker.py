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
    boxes_a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=2)
    area_a = np.prod(np.clip(boxes_a[:, 2:] - boxes_a[:, :2], 0.0, None), axis=1)
    area_b = np.prod(np.clip(boxes_b[:, 2:] - boxes_b[:, :2], 0.0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    iou: FloatArray = np.where(union > 0.0, inter / np.where(union > 0.0, union, 1.0), 0.0)
    return np.clip(iou, 0.0, 1.0)


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
        unmatched: list[Detection] = []
        for label in sorted({t.label for t in self._tracks} | {d.label for d in detections}):
            tracks = [t for t in self._tracks if t.label == label]
            found = [d for d in detections if d.label == label]
            iou = iou_matrix(np.array([t.box for t in tracks]), np.array([_box(d) for d in found]))
            pairs = greedy_match(iou, self.iou_match) if iou.size else []
            for row, col in pairs:
                updated[tracks[row].id] = self._continue(tracks[row], found[col], at)
            matched_cols = {col for _, col in pairs}
            unmatched.extend(d for i, d in enumerate(found) if i not in matched_cols)
        survivors = [
            updated[t.id] if t.id in updated else msgspec.structs.replace(t, missed=t.missed + 1)
            for t in self._tracks
        ]
        self._tracks = [t for t in survivors if t.missed <= self.max_missed]
        for detection in unmatched:
            self._tracks.append(self._start(detection, at))
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
        still = iou_matrix(np.array([track.anchor]), np.array([box]))[0, 0] >= self.stationary_iou
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
