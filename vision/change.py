"""Has anything changed where the rules look? Skipping inference on unchanged frames.

Most street cameras watch a scene that holds still for minutes: the same parked car, the
same empty kerb. A 1/8 DCT-scaled greyscale decode of a 1080p JPEG (240×135) costs a
fraction of a millisecond of the ~20 ms a full detection costs; when the part of it that
covers the camera's zones has not moved since the frame last inferred, that frame's
detections still hold and the sample reuses them (the tracker and the dwell clock go on
as if the model had run). Changes are measured against the frame last *inferred*, not
the previous sample, so a slow drift adds up until it counts; and after ``max_skips``
skips in a row the model runs anyway, so a sensor whose noise hides under the threshold
cannot keep an object out of view for long.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

THUMB_SCALE: Final = 8  # the largest JPEG DCT reduction: 240×135 for 1080p
Point = tuple[float, float]


@dataclass(frozen=True)
class ChangePolicy:
    level: int = 12  # grey levels a thumbnail pixel must move to count as changed
    fraction: float = 0.005  # of the watched thumbnail pixels, to call the scene changed
    max_skips: int = 5  # samples in a row that may reuse one inference


def thumbnail(data: bytes) -> NDArray[np.int16]:
    """A greyscale thumbnail of the frame: a 1/8 DCT-scaled decode for JPEGs, a cheap
    reduction otherwise."""
    with Image.open(io.BytesIO(data)) as opened:
        w, h = opened.size
        opened.draft("L", (max(1, w // THUMB_SCALE), max(1, h // THUMB_SCALE)))
        grey = opened.convert("L")
        if grey.width > max(1, w // THUMB_SCALE) * 2:  # not a JPEG: draft did nothing
            grey = grey.reduce(THUMB_SCALE)
        return np.asarray(grey, dtype=np.int16)


def window(polygons: Iterable[Sequence[Point]], width: int, height: int) -> tuple[slice, slice]:
    """The rows and columns of a ``width`` × ``height`` image that cover every polygon
    (normalised coordinates); the whole image when there is none."""
    points = [p for polygon in polygons for p in polygon]
    if not points:
        return slice(0, height), slice(0, width)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    top, left = int(min(ys) * height), int(min(xs) * width)
    bottom = max(top + 1, int(np.ceil(max(ys) * height)))
    right = max(left + 1, int(np.ceil(max(xs) * width)))
    return slice(max(0, top), min(height, bottom)), slice(max(0, left), min(width, right))


class SceneWatch:
    """One camera's change detector: ``should_infer`` says whether a frame needs the model.

    Not thread-safe; one camera's samples are never processed at once (one job per slot).
    """

    def __init__(self, policy: ChangePolicy | None = None) -> None:
        self.policy = policy or ChangePolicy()
        self._reference: NDArray[np.int16] | None = None
        self._window: tuple[slice, slice] | None = None
        self._skips = 0

    def should_infer(self, data: bytes, polygons: Iterable[Sequence[Point]]) -> bool:
        """True when the model must look at ``data`` (the frame then becomes the reference);
        False when the zones look as they did in the frame last inferred."""
        thumb = thumbnail(data)
        rows, cols = window(polygons, thumb.shape[1], thumb.shape[0])
        watched = thumb[rows, cols]
        reference = self._reference
        if (
            reference is None
            or self._window != (rows, cols)
            or reference.shape != watched.shape
            or self._skips >= self.policy.max_skips
            or self._moved(reference, watched)
        ):
            self._reference, self._window, self._skips = watched, (rows, cols), 0
            return True
        self._skips += 1
        return False

    def forget(self) -> None:
        """Drop the reference (the zones were edited, or inference failed)."""
        self._reference, self._window, self._skips = None, None, 0

    def _moved(self, reference: NDArray[np.int16], watched: NDArray[np.int16]) -> bool:
        changed = np.count_nonzero(np.abs(watched - reference) > self.policy.level)
        return bool(changed > self.policy.fraction * watched.size)
