"""The detector: one ONNX Runtime session plus the card that says how to feed and read it.

Providers are chosen once, at load: a GPU is used only when a CUDA session can really be
created on it (onnxruntime-gpu names CUDA/TensorRT as available and ``get_device()`` says
"GPU" even on machines without one), otherwise the CPU, without fuss.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import cv2
import msgspec
import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from PIL import Image

from vision.detect.card import ColourOrder, ModelCard
from vision.detect.postprocess import Detection, output_classes, postprocess
from vision.detect.preprocess import REDUCING_GAP, Frame, decode_frame, fit, letterbox

log = logging.getLogger(__name__)

CPU: Final = "CPUExecutionProvider"
CUDA: Final = "CUDAExecutionProvider"
TENSORRT: Final = "TensorrtExecutionProvider"

_T = TypeVar("_T")


class StageTimings(msgspec.Struct, frozen=True):
    """Wall time of each stage of one ``detect`` call, in milliseconds."""

    decode_ms: float = 0.0
    preprocess_ms: float = 0.0
    infer_ms: float = 0.0
    postprocess_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        return self.decode_ms + self.preprocess_ms + self.infer_ms + self.postprocess_ms


def cuda_device_count() -> int:
    """CUDA devices the NVIDIA driver reports (0 without a driver).

    A cheap gate before the real test (creating a CUDA session): on machines without a
    driver it keeps ONNX Runtime from logging library-load errors at every start-up.
    """
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def session_options(intra_threads: int | None) -> ort.SessionOptions:
    """Options for a latency-bound single-frame session.

    One inter-op thread: these models are a chain of nodes, parallel branches buy nothing.
    ``intra_threads`` None lets ONNX Runtime use one thread per physical core.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_threads or 0
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def open_session(
    model_path: str | Path,
    options: ort.SessionOptions,
    *,
    prefer_gpu: bool = True,
    use_tensorrt: bool = False,
    device_count: Callable[[], int] = cuda_device_count,
) -> Any:
    """Create the inference session on the best provider that really works.

    With ``prefer_gpu`` and a CUDA driver present, a session is created with TensorRT and
    CUDA (if asked), then CUDA alone; one is kept when ``get_providers()`` confirms a GPU
    provider took it. Otherwise the CPU, logged at info: no GPU is a normal deployment.
    """
    path = str(model_path)
    attempts = (([[TENSORRT, CUDA]] if use_tensorrt else []) + [[CUDA]]) if prefer_gpu else []
    if attempts and device_count() == 0:
        log.info("no CUDA device found; detector runs on the CPU")
        attempts = []
    for gpu in attempts:
        try:
            # enable_fallback=0: let a provider failure raise here, not print and retry.
            session = ort.InferenceSession(path, options, providers=[*gpu, CPU], enable_fallback=0)
        except (RuntimeError, ValueError) as exc:
            log.info("providers %s failed: %s", gpu, exc)
            continue
        if session.get_providers()[0] in gpu:
            return session
        log.info("providers %s not usable on this machine", gpu)
    if attempts:
        log.info("no GPU provider works; detector runs on the CPU")
    return ort.InferenceSession(path, options, providers=[CPU])


def _timed(call: Callable[[], _T]) -> tuple[_T, float]:
    """Run ``call``; its result and how long it took in milliseconds."""
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000.0


class Detector:
    """A loaded detection model, ready for frames. Create it with ``Detector.load``.

    Safe to share between threads for ``detect*`` (ONNX Runtime sessions are), except
    that ``last_timings`` then describes whichever call finished last.
    """

    def __init__(self, session: Any, card: ModelCard, *, fast_decode: bool = True) -> None:
        self._session = session
        self.card = card
        self._exact = not fast_decode
        self.providers: tuple[str, ...] = tuple(session.get_providers())
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name
        self.last_timings = StageTimings()

    @classmethod
    def load(
        cls,
        model_path: str | Path,
        card: ModelCard,
        *,
        prefer_gpu: bool = True,
        use_tensorrt: bool = False,
        intra_threads: int | None = None,
        fast_decode: bool = True,
        warmup_runs: int = 1,
    ) -> Detector:
        """Open ``model_path`` (a deployment setting) with ``card``, check that they
        agree, and warm the session up so the first real frame is not the slow one.

        ``fast_decode`` decodes JPEGs much larger than the model input DCT-scaled and
        resizes with OpenCV (see ``vision.detect.preprocess``); turn it off to reproduce
        the full-decode, Pillow-resized reference exactly.
        """
        session = open_session(
            model_path,
            session_options(intra_threads),
            prefer_gpu=prefer_gpu,
            use_tensorrt=use_tensorrt,
        )
        check_model_fits_card(session, card)
        # OpenCV's thread pool is process-wide: resizing a quarter-scale frame gains
        # nothing from it, and a vision worker already runs one lane per core, so its
        # threads would only compete with the session's (about 0.3 ms a frame here).
        cv2.setNumThreads(1)
        detector = cls(session, card, fast_decode=fast_decode)
        log.info("detector %s loaded on %s", card.name, ", ".join(detector.providers))
        detector.warm_up(warmup_runs)
        return detector

    def warm_up(self, runs: int = 1) -> None:
        """Run the model on a blank input (allocates arenas, builds GPU kernels/engines)
        and decode its output once (fills the anchor-grid cache)."""
        width, height = self.card.input_size
        blank = np.zeros((1, 3, height, width), dtype=np.float32)
        outputs = [self.infer(blank) for _ in range(runs)]
        if outputs:
            placed = fit(self.card.input_size, self.card)
            postprocess(outputs[-1], self.card, placed, (width, height))

    def infer(self, tensor: NDArray[np.float32]) -> NDArray[np.float32]:
        """The raw model output for one input tensor ``[1, 3, H, W]``."""
        outputs = self._session.run([self._output], {self._input: tensor})
        return np.asarray(outputs[0], dtype=np.float32)

    def decode(self, data: bytes) -> Frame:
        """Decode encoded image bytes (JPEG, PNG, …) as this detector reads them: DCT-scaled
        or at full size (see ``Detector.load``). OSError or ValueError when they are not
        a readable image."""
        return decode_frame(
            data, self.card.input_size, reducing_gap=None if self._exact else REDUCING_GAP
        )

    def detect(self, data: bytes) -> list[Detection]:
        """Detections in an encoded image (JPEG, PNG, …), best first, in its pixels."""
        frame, decode_ms = _timed(lambda: self.decode(data))
        return self.detect_frame(frame, decode_ms=decode_ms)

    def detect_frame(self, frame: Frame, *, decode_ms: float = 0.0) -> list[Detection]:
        """Detections in a frame from ``decode``, best first, in its source pixels
        (``decode_ms``: what decoding it took, for ``last_timings``)."""
        source = (frame.width, frame.height)
        (tensor, _), preprocess_ms = _timed(lambda: letterbox(frame, self.card, exact=self._exact))
        output, infer_ms = _timed(lambda: self.infer(tensor))
        placed = fit(source, self.card)
        detections, postprocess_ms = _timed(lambda: postprocess(output, self.card, placed, source))
        self.last_timings = StageTimings(decode_ms, preprocess_ms, infer_ms, postprocess_ms)
        return detections

    def detect_image(self, image: Image.Image) -> list[Detection]:
        """Detections in a decoded Pillow image, best first, in its pixels."""
        return self.detect_frame(Frame.of(image))

    def detect_array(
        self, pixels: NDArray[np.uint8], *, colour_order: ColourOrder = "rgb"
    ) -> list[Detection]:
        """Detections in an HWC uint8 array (e.g. a video frame; ``bgr`` from OpenCV)."""
        return self.detect_frame(Frame.of_array(pixels, colour_order))


def check_model_fits_card(session: Any, card: ModelCard) -> None:
    """Refuse a model whose fixed input size or class count contradicts its card."""
    input_shape = list(session.get_inputs()[0].shape)
    width, height = card.input_size
    for actual, expected in zip(input_shape[2:], (height, width), strict=False):
        if isinstance(actual, int) and actual != expected:  # str: a dynamic axis
            raise ValueError(f"model input {input_shape} does not match card {card.name!r}")
    classes = output_classes(session.get_outputs()[0].shape, card)
    if classes is not None and classes != len(card.labels):
        raise ValueError(
            f"model has {classes} classes, card {card.name!r} lists {len(card.labels)} labels"
        )
