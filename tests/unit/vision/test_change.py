"""The change detector that lets a camera sample skip inference."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from vision.change import ChangePolicy, SceneWatch, thumbnail, window
from vision.detect.preprocess import Frame, decode_frame

MODEL_INPUT = (416, 416)

KERB = ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0))  # the lower half


def jpeg(box: tuple[int, int, int, int] | None = None, noise: float = 0.0, seed: int = 0) -> Frame:
    """A 1080p camera frame as the detector decodes it (a quarter-scale JPEG decode)."""
    rng = np.random.default_rng(seed)
    base = np.tile(np.linspace(40, 200, 1920, dtype=np.float32), (1080, 1))
    pixels = np.clip(base + rng.normal(0, noise, base.shape), 0, 255) if noise else base
    image = Image.fromarray(pixels.astype(np.uint8)).convert("RGB")
    if box is not None:
        ImageDraw.Draw(image).rectangle(box, fill=(250, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return decode_frame(out.getvalue(), MODEL_INPUT)


def test_the_thumbnail_is_an_eighth_of_the_source_whatever_the_decode() -> None:
    image = Image.new("RGB", (1920, 1080), (200, 100, 50))
    out = io.BytesIO()
    image.save(out, "PNG")
    full = decode_frame(out.getvalue(), MODEL_INPUT)  # a PNG decodes at full size, RGB
    quarter = jpeg()  # BGR, 480×270

    assert (full.scale, full.order, quarter.scale, quarter.order) == (1, "rgb", 4, "bgr")
    grey = thumbnail(full)
    assert grey.shape == thumbnail(quarter).shape == (135, 240)
    assert np.all(np.abs(grey - round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)) <= 1)


def test_an_unchanged_scene_skips_until_max_skips() -> None:
    watch = SceneWatch(ChangePolicy(max_skips=2))
    frame = jpeg()
    assert [watch.should_infer(frame, [KERB]) for _ in range(7)] == [
        True,
        False,
        False,
        True,
        False,
        False,
        True,
    ]


def test_a_car_arriving_in_the_zone_is_a_change() -> None:
    watch = SceneWatch()
    assert watch.should_infer(jpeg(), [KERB])
    assert watch.should_infer(jpeg(box=(800, 700, 1100, 900)), [KERB])


def test_movement_outside_the_zones_is_not() -> None:
    watch = SceneWatch()
    assert watch.should_infer(jpeg(), [KERB])
    assert not watch.should_infer(jpeg(box=(800, 100, 1100, 300)), [KERB])


def test_sensor_noise_is_not_a_change() -> None:
    watch = SceneWatch()
    assert watch.should_infer(jpeg(noise=2.0, seed=1), [KERB])
    assert not watch.should_infer(jpeg(noise=2.0, seed=2), [KERB])


def test_a_slow_drift_adds_up_against_the_frame_last_inferred() -> None:
    watch = SceneWatch(ChangePolicy(max_skips=100))
    assert watch.should_infer(jpeg(), [KERB])
    # The car creeps in 20 px per sample: one step is under the threshold, two are not.
    verdicts = [watch.should_infer(jpeg(box=(0, 700, 20 * k, 900)), [KERB]) for k in (1, 2)]
    assert verdicts == [False, True]


def test_edited_zones_need_a_fresh_look() -> None:
    watch = SceneWatch()
    frame = jpeg()
    assert watch.should_infer(frame, [KERB])
    assert watch.should_infer(frame, [((0.0, 0.0), (1.0, 0.0), (1.0, 0.5))])


def test_the_window_covers_every_zone() -> None:
    rows, cols = window([((0.1, 0.5), (0.2, 0.6)), ((0.7, 0.2), (0.8, 0.3))], 240, 135)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (27, 81, 24, 192)
    assert window([], 240, 135) == (slice(0, 135), slice(0, 240))
