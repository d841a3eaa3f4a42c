"""Has anything changed where the rules look? Skipping inference on unchanged frames.

Most street cameras watch a scene that holds still for minutes: the same parked car, the
same empty kerb. The frame is decoded once, as the detector wants it (a quarter-scale
DCT decode of a 1080p JPEG), and an eighth-scale greyscale thumbnail made from it costs
0.05 ms more; when the part of the thumbnail that covers the camera's zones has not moved
since the frame last inferred, that frame's detections still hold and the sample reuses
them (the tracker and the dwell clock go on as if the model had run). Decoding once
matters: a separate 1/8 greyscale decode still reads every entropy-coded byte, 2.8 ms
against 3.6 ms for the quarter-scale colour one, so checking first and decoding again
cost more than decoding once on any scene that changes more than a quarter of the time.

Changes are measured against the frame last *inferred*, not the previous sample, so a
slow drift adds up until it counts; and after ``max_skips`` skips in a row the model runs
anyway, so a sensor whose noise hides under the threshold cannot keep an object out of
view for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.detect.preprocess import Frame

THUMB_SCALE: Final = 8  # thumbnails are 1/8 of the source: 240×135 for 1080p
Point = tuple[float, float]


@dataclass(frozen=True)
class ChangePolicy:
    level: int = 12  # grey levels a thumbnail pixel must move to count as changed
    fraction: float = 0.005  # of the watched thumbnail pixels, to call the scene changed
    max_skips: int = 5  # samples in a row that may reuse one inference


def thumbnail(frame: Frame) -> NDArray[np.int16]:
    """A greyscale thumbnail of a decoded frame, 1/8 of its source size (each pixel the
    mean of an 8×8 source block, as a 1/8 DCT-scaled decode would give)."""
    size = (max(1, frame.width // THUMB_SCALE), max(1, frame.height // THUMB_SCALE))
    code = cv2.COLOR_BGR2GRAY if frame.order == "bgr" else cv2.COLOR_RGB2GRAY
    grey = cv2.cvtColor(np.ascontiguousarray(frame.pixels), code)
    if (grey.shape[1], grey.shape[0]) != size:
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey.astype(np.int16)


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

    def should_infer(self, frame: Frame, polygons: Iterable[Sequence[Point]]) -> bool:
        """True when the model must look at ``frame`` (it then becomes the reference);
        False when the zones look as they did in the frame last inferred."""
        thumb = thumbnail(frame)
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
