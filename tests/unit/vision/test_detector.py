"""The detector reproduces the reference YOLOX-Nano detections, and its pieces behave.

Reference values: ``testdata/expected.json`` (see ``testdata/EXPECTED.md``). The test data
lives beside the repository (``../shared/testdata``) or where ``OFFSITE_TESTDATA_DIR`` says.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from vision.detect import Detection, Detector, ModelCard, load_card
from vision.detect.card import bundled_card
from vision.detect.postprocess import (
    Candidates,
    _classwise_nms_by_class,
    classwise_nms,
    iou_one_to_many,
    postprocess,
    yolox_grid,
)
from vision.detect.preprocess import Fit, Frame, decode_frame, fit, letterbox
from vision.detect.session import CPU, check_model_fits_card, open_session, session_options

TESTDATA = Path(
    os.environ.get("OFFSITE_TESTDATA_DIR")
    or Path(__file__).parents[3] / ".." / "shared" / "testdata"
)
MODEL = TESTDATA / "models" / "yolox_nano.onnx"
EXPECTED = TESTDATA / "expected.json"
needs_testdata = pytest.mark.skipif(
    not (MODEL.is_file() and EXPECTED.is_file()), reason=f"no detector test data in {TESTDATA}"
)

SCORE_TOLERANCE = 0.02
BOX_TOLERANCE_PX = 2.0


def _expected_images() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text())["images"] if EXPECTED.is_file() else {}


@pytest.fixture(scope="module")
def card() -> ModelCard:
    return bundled_card("yolox_nano_coco")


@pytest.fixture(scope="module")
def reference_detector(card: ModelCard) -> Detector:
    """Decodes at full size, as the reference pipeline did."""
    if not MODEL.is_file():
        pytest.skip(f"no model in {TESTDATA}")
    return Detector.load(MODEL, card, intra_threads=2, fast_decode=False)


@pytest.fixture(scope="module")
def detector(card: ModelCard) -> Detector:
    if not MODEL.is_file():
        pytest.skip(f"no model in {TESTDATA}")
    return Detector.load(MODEL, card, intra_threads=2)


def _box(d: Detection) -> np.ndarray:
    return np.array([d.x1, d.y1, d.x2, d.y2], dtype=np.float32)


def _pair_up(
    expected: Iterable[tuple[str, np.ndarray]], got: Sequence[Detection], min_iou: float
) -> list[tuple[int, Detection]]:
    """Greedy matching, expected rows in order: same label, highest IoU, each used once.
    Returns (expected index, detection) pairs; unmatched expected rows fail the test."""
    free = list(got)
    pairs = []
    for index, (label, box) in enumerate(expected):
        same = [d for d in free if d.label == label]
        assert same, f"expected {label} {box.tolist()} not detected"
        ious = iou_one_to_many(box, np.stack([_box(d) for d in same]))
        best = int(ious.argmax())
        assert ious[best] >= min_iou, f"{label} {box.tolist()}: best IoU {ious[best]:.2f}"
        pairs.append((index, same[best]))
        free.remove(same[best])
    return pairs


# --- the reference detections ------------------------------------------------------------


@needs_testdata
@pytest.mark.parametrize("image_name", sorted(_expected_images()))
def test_reproduces_reference_detections(reference_detector: Detector, image_name: str) -> None:
    expected = _expected_images()[image_name]["detections"]
    got = reference_detector.detect((TESTDATA / "images" / image_name).read_bytes())

    assert sorted(d.label for d in got) == sorted(e["class"] for e in expected)
    rows = [(e["class"], np.array(e["box"], dtype=np.float32)) for e in expected]
    for index, detection in _pair_up(rows, got, min_iou=0.5):
        assert detection.score == pytest.approx(expected[index]["score"], abs=SCORE_TOLERANCE)
        assert np.abs(_box(detection) - rows[index][1]).max() <= BOX_TOLERANCE_PX
    assert [d.score for d in got] == sorted((d.score for d in got), reverse=True)


@needs_testdata
def test_fast_decode_keeps_the_confident_reference_detections(detector: Detector) -> None:
    # DCT-scaled decoding may move detections near the threshold (EXPECTED.md suggests
    # class + IoU >= 0.5 and a looser score tolerance); the confident ones must stay.
    for image_name, reference in _expected_images().items():
        confident = [e for e in reference["detections"] if e["score"] >= 0.5]
        got = detector.detect((TESTDATA / "images" / image_name).read_bytes())
        rows = [(e["class"], np.array(e["box"], dtype=np.float32)) for e in confident]
        for index, detection in _pair_up(rows, got, min_iou=0.5):
            assert detection.score == pytest.approx(confident[index]["score"], abs=0.05)


@needs_testdata
def test_a_large_jpeg_decodes_dct_scaled_with_the_same_detections(
    card: ModelCard, detector: Detector, reference_detector: Detector
) -> None:
    image = Image.open(TESTDATA / "images" / "dog_bicycle_truck.jpg").convert("RGB")
    buffer = io.BytesIO()
    image.resize((4000, 3000), Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()

    frame = decode_frame(data, card.input_size)
    assert (frame.width, frame.height, frame.scale) == (4000, 3000, 8)
    assert frame.pixels.shape == (375, 500, 3)

    fast, full = detector.detect(data), reference_detector.detect(data)
    assert sorted(d.label for d in fast) == sorted(d.label for d in full)
    # Tolerances at model scale: 3 letterbox pixels (~29 pixels of this frame). Decoding at
    # 1/8 lets a box edge move by up to ~2.7 model pixels against the full decode.
    box_tolerance = 3 / fit((4000, 3000), card).ratio
    rows = [(d.label, _box(d)) for d in full]
    for index, detection in _pair_up(rows, fast, min_iou=0.9):
        assert detection.score == pytest.approx(full[index].score, abs=0.05)
        assert np.abs(_box(detection) - rows[index][1]).max() <= box_tolerance


@needs_testdata
def test_an_array_in_bgr_gives_what_the_image_gives(detector: Detector) -> None:
    image = Image.open(TESTDATA / "images" / "bus_street_shopfronts.jpg").convert("RGB")
    bgr = np.asarray(image)[:, :, ::-1]

    assert detector.detect_array(bgr, colour_order="bgr") == detector.detect_image(image)


@needs_testdata
def test_timings_cover_every_stage(detector: Detector) -> None:
    detector.detect((TESTDATA / "images" / "bus_pedestrians.jpg").read_bytes())

    timings = detector.last_timings
    stages = (timings.decode_ms, timings.preprocess_ms, timings.infer_ms, timings.postprocess_ms)
    assert all(ms > 0 for ms in stages)
    assert timings.total_ms == pytest.approx(sum(stages))


# --- providers and model/card agreement ---------------------------------------------------


@needs_testdata
def test_without_a_cuda_device_the_cpu_is_used_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vision.detect.session"):
        session = open_session(MODEL, session_options(1), device_count=lambda: 0)

    assert session.get_providers() == [CPU]
    assert "no CUDA device" in caplog.text


@needs_testdata
def test_an_unusable_gpu_falls_back_to_the_cpu(caplog: pytest.LogCaptureFixture) -> None:
    # Pretend the driver reports a device: the CUDA session itself must prove it works.
    with caplog.at_level(logging.INFO, logger="vision.detect.session"):
        session = open_session(MODEL, session_options(1), device_count=lambda: 1)

    providers = session.get_providers()
    assert providers[0] in ("CUDAExecutionProvider", CPU)
    if providers[0] == CPU:
        assert "CPU" in caplog.text


@needs_testdata
def test_a_card_that_contradicts_the_model_is_refused(card: ModelCard) -> None:
    session = open_session(MODEL, session_options(1), prefer_gpu=False)

    with pytest.raises(ValueError, match="input"):
        check_model_fits_card(session, msgspec.structs.replace(card, input_size=(320, 320)))
    with pytest.raises(ValueError, match="classes"):
        check_model_fits_card(session, msgspec.structs.replace(card, labels=["person", "car"]))


# --- model card ---------------------------------------------------------------------------


def test_the_bundled_card_describes_yolox_nano_on_coco(card: ModelCard) -> None:
    assert (card.family, card.input_size, card.colour_order) == ("yolox", (416, 416), "bgr")
    assert (card.normalise, card.letterbox, card.pad_value) == ("none", "top_left", 114)
    assert len(card.labels) == 80
    assert card.labels[:3] == ["person", "bicycle", "car"]
    assert card.labels[-1] == "toothbrush"


def test_a_card_with_an_unknown_field_is_refused(tmp_path: Path, card: ModelCard) -> None:
    raw = msgspec.to_builtins(card) | {"model_path": "/models/x.onnx"}
    path = tmp_path / "card.json"
    path.write_bytes(msgspec.json.encode(raw))

    with pytest.raises(msgspec.ValidationError, match="model_path"):
        load_card(path)


# --- letterbox ----------------------------------------------------------------------------


def test_top_left_letterbox_pads_right_and_bottom_in_bgr(card: ModelCard) -> None:
    image = Image.new("RGB", (800, 400), (10, 20, 30))

    tensor, ratio = letterbox(image, card)

    assert tensor.shape == (1, 3, 416, 416)
    assert tensor.dtype == np.float32
    assert ratio == pytest.approx(0.52)
    content, padding = tensor[0, :, :208, :], tensor[0, :, 208:, :]
    assert content[:, 0, 0].tolist() == [30.0, 20.0, 10.0]  # BGR, 0..255
    assert np.all(content == content[:, :1, :1])
    assert np.all(padding == 114.0)


def test_centre_letterbox_splits_the_padding_and_scales_to_unit(card: ModelCard) -> None:
    v8 = msgspec.structs.replace(
        card, letterbox="centre", normalise="unit", colour_order="rgb", input_size=(64, 64)
    )
    image = Image.new("RGB", (100, 25), (255, 0, 51))  # resized to 64 x 16: 24 rows above

    tensor, ratio = letterbox(image, v8)

    assert ratio == pytest.approx(0.64)
    assert fit((100, 25), v8) == Fit(0.64, 64, 16, 0, 24)
    assert np.allclose(tensor[0, :, 24:40, :].reshape(3, -1).T, [1.0, 0.0, 0.2])
    assert np.allclose(tensor[0, :, :24, :], 114 / 255)
    assert np.allclose(tensor[0, :, 40:, :], 114 / 255)


def test_small_jpegs_and_pngs_decode_at_full_size(card: ModelCard) -> None:
    for fmt in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        Image.new("L", (640, 480), 128).save(buffer, fmt)

        frame = decode_frame(buffer.getvalue(), card.input_size)

        assert (frame.pixels.shape, frame.scale) == ((480, 640, 3), 1)


def test_a_large_jpeg_decodes_dct_scaled_to_bgr(card: ModelCard) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1920, 1080), (200, 100, 50)).save(buffer, "JPEG", quality=95)

    frame = decode_frame(buffer.getvalue(), card.input_size)

    assert (frame.width, frame.height, frame.scale, frame.order) == (1920, 1080, 4, "bgr")
    assert frame.pixels.shape == (270, 480, 3)
    assert np.abs(frame.pixels[135, 240].astype(int) - [50, 100, 200]).max() <= 2
    tensor, _ = letterbox(frame, card)
    assert np.abs(tensor[0, :, 100, 200] - [50, 100, 200]).max() <= 2  # the card is BGR


def test_a_large_decoded_frame_is_averaged_not_aliased(card: ModelCard) -> None:
    # A one-pixel checkerboard: shrinking it to a fifth must give grey, not a pattern.
    board = ((np.indices((1080, 1920)).sum(axis=0) % 2) * 255).astype(np.uint8)
    frame = Frame.of_array(np.repeat(board[:, :, None], 3, axis=2), "bgr")

    tensor, _ = letterbox(frame, card)

    content = tensor[0, :, :234, :]
    assert np.abs(content - 127.5).max() <= 2


def test_a_truncated_jpeg_is_refused_as_pillow_would(card: ModelCard) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1920, 1080), (200, 100, 50)).save(buffer, "JPEG")

    with pytest.raises(OSError, match="truncated"):
        decode_frame(buffer.getvalue()[:-4000], card.input_size)
    with pytest.raises(OSError):
        decode_frame(buffer.getvalue()[:-4000], card.input_size, reducing_gap=None)


# --- decoding and NMS ---------------------------------------------------------------------


def test_yolox_grid_runs_stride_8_16_32_row_major() -> None:
    grid = yolox_grid((416, 416))

    assert grid.shape == (3549, 3)
    assert grid[1].tolist() == [1, 0, 8]
    assert grid[52].tolist() == [0, 1, 8]
    assert grid[2704].tolist() == [0, 0, 16]
    assert grid[-1].tolist() == [12, 12, 32]
    assert yolox_grid((416, 416)) is grid


def _candidates(boxes: list[list[float]], scores: list[float], classes: list[int]) -> Candidates:
    return Candidates(
        np.array(boxes, dtype=np.float32),
        np.array(scores, dtype=np.float32),
        np.array(classes, dtype=np.intp),
    )


def test_nms_suppresses_overlaps_within_a_class_only() -> None:
    candidates = _candidates(
        boxes=[
            [0, 0, 10, 10],  # car, best
            [1, 0, 11, 10],  # car, IoU 0.82 with the best: suppressed
            [1, 0, 11, 10],  # truck on the same spot: another class, kept
            [20, 20, 30, 30],  # car elsewhere: kept
            [0, 0, 10, 16],  # car, IoU 0.625... with the best: suppressed
            [0, 5, 10, 15],  # car, IoU 0.33 with the best: kept
        ],
        scores=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        classes=[2, 2, 7, 2, 2, 2],
    )

    assert classwise_nms(candidates, iou_threshold=0.45).tolist() == [0, 2, 3, 5]


def test_nms_of_nothing_is_nothing() -> None:
    assert classwise_nms(_candidates([], [], []), 0.45).size == 0


_coordinate = st.floats(0, 100, allow_nan=False, width=32)


# Candidate rows: x, y, width, height, score, class.
_rows = st.lists(
    st.tuples(
        _coordinate,
        _coordinate,
        st.floats(1, 50, width=32),
        st.floats(1, 50, width=32),
        st.floats(0.25, 1, width=32),
        st.integers(0, 2),
    ),
    max_size=40,
)


def _of_rows(rows: list[tuple[Any, ...]]) -> Candidates:
    boxes = [[x, y, x + w, y + h] for x, y, w, h, _, _ in rows]
    return _candidates(boxes, [r[4] for r in rows], [r[5] for r in rows])


@settings(max_examples=50, deadline=None)
@given(_rows)
def test_nms_leaves_no_same_class_pair_overlapping(rows: list[tuple[Any, ...]]) -> None:
    candidates = _of_rows(rows)

    kept = classwise_nms(candidates, 0.45)

    scores = candidates.scores[kept]
    assert np.all(scores[:-1] >= scores[1:])
    for position, index in enumerate(kept):
        same = [
            k for k in kept[position + 1 :] if candidates.classes[k] == candidates.classes[index]
        ]
        if same:
            assert iou_one_to_many(candidates.boxes[index], candidates.boxes[same]).max() <= 0.45
    for dropped in set(range(len(rows))) - set(kept.tolist()):
        rivals = [
            k
            for k in kept
            if candidates.classes[k] == candidates.classes[dropped]
            and candidates.scores[k] >= candidates.scores[dropped]
        ]
        assert iou_one_to_many(candidates.boxes[dropped], candidates.boxes[rivals]).max() > 0.45


def test_yolov8_output_decodes_with_class_scores_and_no_objectness(card: ModelCard) -> None:
    v8 = msgspec.structs.replace(
        card,
        family="yolov8",
        input_size=(64, 64),
        labels=["person", "car", "truck"],
        letterbox="centre",
    )
    # [1, 4 + 3 classes, 5 anchors]: cx, cy, w, h, then one row of scores per class.
    output = np.array(
        [
            [
                [20, 21, 50, 10, 2],  # cx
                [30, 30, 30, 10, 20],  # cy
                [10, 10, 8, 4, 8],  # w
                [20, 20, 8, 4, 4],  # h
                [0.9, 0.8, 0.0, 0.1, 0.0],  # person: anchor 1 overlaps anchor 0, goes
                [0.0, 0.1, 0.2, 0.2, 0.7],  # car: anchor 4 pokes out of the frame
                [0.1, 0.0, 0.6, 0.25, 0.0],  # truck; anchor 3 is below the threshold
            ]
        ],
        dtype=np.float32,
    )
    placed = Fit(ratio=0.5, width=64, height=32, dx=0, dy=16)  # a 128 x 64 source frame

    got = postprocess(output, v8, placed, source=(128, 64))

    assert [(d.label, round(d.score, 4), d.x1, d.y1, d.x2, d.y2) for d in got] == [
        ("person", 0.9, 30.0, 8.0, 50.0, 48.0),
        ("car", 0.7, 0.0, 4.0, 12.0, 12.0),
        ("truck", 0.6, 92.0, 20.0, 108.0, 36.0),
    ]


@settings(max_examples=50, deadline=None)
@given(_rows)
def test_one_matrix_nms_keeps_what_class_by_class_nms_keeps(rows: list[tuple[Any, ...]]) -> None:
    candidates = _of_rows(rows)

    matrix = classwise_nms(candidates, 0.45)
    by_class = _classwise_nms_by_class(candidates, 0.45)

    assert sorted(matrix.tolist()) == sorted(by_class.tolist())
    assert candidates.scores[matrix].tolist() == candidates.scores[by_class].tolist()
