"""Camera sampling: fetch a frame, detect, track, apply the zone rules, raise or observe.

The poller enqueues one ``sample_camera`` per camera and time slot with a deterministic
job id, so a camera is never sampled twice for one slot and a Redis restart loses no
camera (the next poll enqueues it again). The detector is loaded once per worker
process; inference runs in a thread so the event loop stays free. A sample picked up
after its slot has passed is skipped and counted (the worker is behind).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from domain.cameras import SourceKind, ZoneSpec
from domain.catalogue import ViolationType
from integrations.camera_http import FrameError, fetch_snapshot
from integrations.camera_rtsp import grab_frame
from offsite.runtime import Runtime
from offsite.settings import Settings
from storage import alerts, cameras
from storage.cases import catalogue
from vision.annotate import annotate
from vision.change import ChangePolicy, SceneWatch
from vision.detect import Detection, Detector, load_card
from vision.detect.card import bundled_card
from vision.detect.preprocess import Frame
from vision.imaging import encode_jpeg
from vision.rules.engine import Cleared, Firing, RuleEngine, StillPresent
from vision.rules.tracker import Tracker
from vision.rules.zones import Zone, ZoneRule

log = logging.getLogger("offsite.vision")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class VisionState:
    """What a vision worker keeps between samples: the model and each camera's memory."""

    detector: Detector
    trackers: dict[int, Tracker] = field(default_factory=dict)
    engines: dict[int, RuleEngine] = field(default_factory=dict)
    observed: dict[tuple[int, str, str], datetime] = field(default_factory=dict)
    watches: dict[int, SceneWatch] = field(default_factory=dict)
    detections: dict[int, list[Detection]] = field(default_factory=dict)
    stale_skipped: int = 0
    inferences: int = 0
    inferences_skipped: int = 0
    _reported_at: float = field(default_factory=time.monotonic)
    _types: dict[str, ViolationType] = field(default_factory=dict)
    _types_at: float = -1e18

    def report(self, every_s: float = 60.0) -> None:
        """Log this process's counters, at most once every ``every_s``."""
        if time.monotonic() - self._reported_at < every_s:
            return
        self._reported_at = time.monotonic()
        log.info(
            "vision counters",
            extra={
                "cameras": len(self.trackers),
                "inferences": self.inferences,
                "inferences_skipped": self.inferences_skipped,
                "stale_skipped": self.stale_skipped,
            },
        )

    async def catalogue(self, ttl_s: float = 60.0) -> dict[str, ViolationType]:
        """The violation types, read at most once a minute (not once per sample)."""
        if time.monotonic() - self._types_at > ttl_s:
            self._types = {t.code: t for t in await catalogue.all_types()}
            self._types_at = time.monotonic()
        return self._types


def model_path(settings: Settings) -> Path:
    """The configured detector, or the shared YOLOX-Nano of the test data."""
    return Path(settings.vision.model_path or settings.testdata_dir / "models" / "yolox_nano.onnx")


def load_detector(settings: Settings) -> Detector:
    vision = settings.vision
    model = model_path(settings)
    card = load_card(vision.model_card) if vision.model_card else bundled_card("yolox_nano_coco")
    return Detector.load(model, card, prefer_gpu=vision.prefer_gpu)


def state_of(ctx: dict[str, Any]) -> VisionState:
    if "vision" not in ctx:
        ctx["vision"] = VisionState(load_detector(ctx["runtime"].settings))
    state: VisionState = ctx["vision"]
    return state


async def poll_cameras(ctx: dict[str, Any]) -> int:
    """Enqueue every enabled camera whose sampling slot has come (failing ones less often)."""
    runtime: Runtime = ctx["runtime"]
    now = datetime.now(UTC).timestamp()
    queued = 0
    for camera in await cameras.due_for_sampling():
        slot = int(now // camera.sample_interval_s)
        backoff = min(2**camera.consecutive_failures, 60)
        if camera.consecutive_failures and slot % backoff:
            continue
        await runtime.queue.enqueue_job(
            "sample_camera",
            camera.id,
            slot,
            _job_id=f"camera:{camera.id}:{slot}",
            _queue_name=runtime.settings.redis.vision_queue_name,
        )
        queued += 1
    return queued


async def sample_camera(ctx: dict[str, Any], camera_id: int, slot: int) -> str:
    """One sample of one camera (the job)."""
    state = state_of(ctx)
    try:
        return await sample(ctx["runtime"], state, camera_id, datetime.now(UTC), slot)
    finally:
        state.report()


async def sample(
    runtime: Runtime, state: VisionState, camera_id: int, now: datetime, slot: int | None = None
) -> str:
    """Fetch, detect, track and apply the rules for one camera at ``now``; a sample of a
    ``slot`` that has already passed is skipped (the worker is behind)."""
    src = await cameras.source(camera_id)
    if slot is not None and now.timestamp() > (slot + 2) * src.sample_interval_s:
        state.stale_skipped += 1
        return "stale"
    if not src.enabled or not src.url:
        return "disabled"
    zones = _zones(src.zones, await state.catalogue())
    try:
        shot = await _grab(runtime, src)
        seen = await asyncio.to_thread(_look, runtime.settings, state, camera_id, shot, zones)
    except FrameError as exc:
        await cameras.record_failure(
            camera_id, exc.reason, runtime.settings.vision.offline_after, now
        )
        return f"failed:{exc.reason}"
    await cameras.record_frame(camera_id, now)
    detections, (width, height) = seen
    tracks = state.trackers.setdefault(camera_id, Tracker()).update(detections, now)
    engine = state.engines.setdefault(
        camera_id, RuleEngine(cleared_after=runtime.settings.vision.cleared_after)
    )
    events = engine.evaluate(tracks, list(zones.values()), width, height, now, SHANGHAI)
    for event in events:
        await _handle(runtime, state, src, zones, event, shot, now)
    return f"ok:{len(detections)}:{len(events)}"


def _look(
    settings: Settings, state: VisionState, camera_id: int, shot: Shot, zones: dict[str, Zone]
) -> tuple[list[Detection], tuple[int, int]]:
    """The frame's detections and size: the model's detections, or those of the frame last
    inferred when the zones look unchanged since (in a worker thread: decoding and
    inference are CPU). A frame that does not decode is the camera's failure."""
    if not isinstance(shot, bytes):
        frame = Frame.of_array(shot, "bgr")  # a video frame, decoded already
    else:
        try:
            frame = state.detector.decode(shot)
        except (OSError, ValueError) as exc:
            raise FrameError("undecodable", str(exc)[:200]) from exc
    size = (frame.width, frame.height)
    vision = settings.vision
    if vision.skip_unchanged:
        watch = state.watches.get(camera_id)
        if watch is None:
            watch = state.watches[camera_id] = SceneWatch(ChangePolicy(max_skips=vision.max_skips))
        unchanged = not watch.should_infer(frame, [z.polygon for z in zones.values()])
        last = state.detections.get(camera_id)
        if unchanged and last is not None:
            state.inferences_skipped += 1
            return last, size
    try:
        detections = state.detector.detect_frame(frame)
    except Exception:
        state.watches.pop(camera_id, None)  # the reference frame was never looked at
        raise
    state.detections[camera_id] = detections
    state.inferences += 1
    return detections, size


# One sample's picture: a snapshot's bytes as the camera sent them, or a video frame's
# BGR pixels (encoded to JPEG only when it becomes evidence).
Shot = bytes | NDArray[np.uint8]


async def _grab(runtime: Runtime, src: cameras.CameraSource) -> Shot:
    if src.kind is SourceKind.rtsp:
        return await asyncio.to_thread(
            grab_frame, src.url, username=src.username, password=src.password
        )
    return await fetch_snapshot(
        runtime.cameras,
        src.url,
        auth=src.auth,
        username=src.username,
        password=src.password,
        max_bytes=runtime.settings.vision.frame_max_bytes,
    )


def _zones(specs: list[ZoneSpec], types: dict[str, ViolationType]) -> dict[str, Zone]:
    """Vision zones from the registry, rule parameters defaulting to the violation type's."""
    zones: dict[str, Zone] = {}
    for spec in specs:
        rules = []
        for r in spec.rules:
            default = types.get(r.violation_type)
            if default is None or default.camera is None:
                continue  # nothing a detector can see evidences this type
            rules.append(
                ZoneRule(
                    violation_type=r.violation_type,
                    labels=frozenset(default.camera.labels),
                    min_score=r.min_score if r.min_score is not None else default.camera.min_score,
                    min_count=r.min_count or default.camera.min_count,
                    min_area=r.min_area,
                    dwell_s=r.dwell_s if r.dwell_s is not None else default.camera.dwell_s,
                    active_hours=tuple(r.active_hours),
                    cooldown_s=r.cooldown_s,
                )
            )
        if rules:
            zones[spec.key] = Zone(
                id=spec.key,
                polygon=tuple(spec.polygon),
                rules=tuple(rules),
                subject_id=spec.subject_id,
            )
    return zones


async def _handle(
    runtime: Runtime,
    state: VisionState,
    src: cameras.CameraSource,
    zones: dict[str, Zone],
    event: Firing | StillPresent | Cleared,
    shot: Shot,
    now: datetime,
) -> None:
    zone = zones[event.zone_id]
    detail: dict[str, object] = {
        "camera_id": src.id,
        "device_id": src.device_id,
        "zone": event.zone_id,
    }
    if isinstance(event, Firing):
        rule = next(r for r in zone.rules if r.violation_type == event.violation_type)
        caption = f"{src.device_id}  {now.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}  {zone.id}"
        boxes = [(rule.violation_type, 1.0, b) for b in event.boxes]
        frame = shot if isinstance(shot, bytes) else await asyncio.to_thread(encode_jpeg, shot)
        annotated = await asyncio.to_thread(annotate, frame, boxes, [zone.polygon], caption)
        case_id = await alerts.raise_alert(
            runtime.cases,
            runtime.objects,
            camera_id=src.id,
            position=src.position,
            zone_key=zone.id,
            violation_type=event.violation_type,
            subject_id=zone.subject_id,
            frame=alerts.Frame(frame, annotated),
            detail={**detail, "objects": len(boxes)},
            cooldown_s=rule.cooldown_s,
            now=now,
        )
        if case_id is not None:
            state.observed[(src.id, zone.id, event.violation_type)] = now
        return
    case_id = await alerts.open_case(src.id, zone.id, event.violation_type)
    if case_id is None:
        return
    key = (src.id, zone.id, event.violation_type)
    if isinstance(event, Cleared):
        await alerts.observe(case_id, "cleared", detail, now)
        state.observed[key] = now
        return
    last = state.observed.get(key)
    every = runtime.settings.vision.observation_every_s
    if last is None or (now - last).total_seconds() >= every:
        await alerts.observe(case_id, "still_present", detail, now)
        state.observed[key] = now
