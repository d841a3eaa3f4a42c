"""The vision pipeline on 1080p JPEGs: raw model throughput beside the full pipeline.

    .venv/bin/python benchmarks/bench_vision.py [--frames 300] [--skip-unchanged]

Raw model: back-to-back ``Detector.infer`` on one prepared tensor, in every thread layout
tried (one session with 2 intra-op threads, 2 sessions with 1 thread each run from 2
threads, ...); the best rate is the baseline. Full pipeline, in the same run: fetch over
local HTTP (``fetch_snapshot``, keep-alive) → decode → preprocess → infer → postprocess
(``Detector.detect``) → ``Tracker.update`` + ``RuleEngine.evaluate`` with one zone rule.
Frames are fetched ahead of the worker lanes, so fetching and decoding overlap inference;
each lane has its own Detector (``last_timings`` stays per call). Lanes are threads of
one process, or (``--processes``, default one per core) separate processes with one
1-thread Detector each — the production layout, one ``offsite worker --vision`` per core.
Cameras per core = frames/s × 10 s / ``os.cpu_count()`` (one sample per camera every 10 s).

The frames are test photographs fitted to 1920×1080 with a little sensor noise (two noise
draws per scene, so no two consecutive samples are byte-identical), JPEG quality 90,
served from a lean asyncio HTTP server in a child process (its CPU per frame is shown).
Test data: ``../shared/testdata`` beside the repository, or ``OFFSITE_TESTDATA_DIR``.

``--skip-unchanged`` adds a separate row: the worker's per-camera change detector
(``vision.change.SceneWatch``: an eighth-scale greyscale thumbnail of the decoded frame,
compared inside the zones with the frame last inferred) skips inference on unchanged
samples and reuses that frame's detections. It is measured on a scenario where each
camera's scene holds for ``--hold`` samples, so its figure depends on that scenario and
is not the goal figure.

The machine may be shared: raw-model and pipeline rounds are interleaved, each figure is
the best of ``--repeat`` rounds, and the ``others`` column says how many cores other
processes kept busy during that round (from /proc/stat). Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from integrations.camera_http import fetch_snapshot, open_camera_session
from vision.change import SceneWatch
from vision.detect import Detection, Detector
from vision.detect.card import bundled_card
from vision.detect.preprocess import decode_frame, letterbox
from vision.rules import RuleEngine, Tracker, Zone, ZoneRule

TESTDATA = Path(os.environ.get("OFFSITE_TESTDATA_DIR") or ROOT.parent / "shared" / "testdata")
MODEL = TESTDATA / "models" / "yolox_nano.onnx"
SIZE = (1920, 1080)
SAMPLE_EVERY_S = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Street scenes with vehicles first; any other test photographs fill up.
SCENES = (
    "road_traffic_cn.jpg",
    "road_traffic_overhead.jpg",
    "bus_street_shopfronts.jpg",
    "bus_pedestrians.jpg",
    "dog_bicycle_truck.jpg",
    "food_truck_plaza.jpg",
)
ZONE = Zone(
    id="kerb",
    polygon=((0.02, 0.40), (0.98, 0.40), (0.98, 0.99), (0.02, 0.99)),
    rules=(
        ZoneRule(
            violation_type="illegal_parking",
            labels=frozenset({"car", "truck", "bus"}),
            min_score=0.3,
            dwell_s=0,
        ),
    ),
)
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


# --- frames and the camera server -------------------------------------------------------


def make_scenes(count: int, noise: float) -> list[list[bytes]]:
    """``count`` scenes, each as two 1080p JPEG encodings with independent sensor noise."""
    folder = TESTDATA / "images"
    names = [n for n in SCENES if (folder / n).is_file()]
    names += sorted(p.name for p in folder.glob("*.jpg") if p.name not in names)
    if not names:
        raise SystemExit(f"no test images in {folder}")
    rng = np.random.default_rng(5)
    scenes = []
    for name in names[:count]:
        with Image.open(folder / name) as opened:
            fitted = ImageOps.fit(opened.convert("RGB"), SIZE, Image.Resampling.BILINEAR)
        pixels = np.asarray(fitted, dtype=np.float32)
        variants = []
        for _ in range(2):
            noisy = np.clip(pixels + rng.normal(0.0, noise, pixels.shape), 0, 255)
            out = io.BytesIO()
            Image.fromarray(noisy.astype(np.uint8)).save(out, "JPEG", quality=90)
            variants.append(out.getvalue())
        scenes.append(variants)
    return scenes


def scene_of(scenes: int, hold: int, route: str, camera: int, sample: int) -> int:
    if route == "moving":
        return (camera + sample) % scenes
    if route == "static":
        return (camera + sample // hold) % scenes
    raise ValueError(route)


def frame_for(scenes: list[list[bytes]], hold: int, route: str, camera: int, sample: int) -> bytes:
    return scenes[scene_of(len(scenes), hold, route, camera, sample)][sample % 2]


def serve_frames(scenes: list[list[bytes]], hold: int, conn: Connection) -> None:
    """The cameras: ``/moving/{camera}/{sample}`` shows a new scene every sample,
    ``/static/{camera}/{sample}`` holds a camera's scene for ``hold`` samples (new noise
    each sample). A lean asyncio HTTP/1.1 server (keep-alive, no per-request threads): the
    cameras are other machines in real life, so their cost on these cores is kept small."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await reader.readuntil(b"\r\n\r\n"):
                path = request.split(b" ", 2)[1].decode()
                try:
                    route, camera, sample = path.strip("/").split("/")
                    body = frame_for(scenes, hold, route, int(camera), int(sample))
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                except ValueError:
                    body, head = b"", b"HTTP/1.1 404 Not Found\r\n"
                writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body))
                writer.write(body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        conn.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


# --- raw model ------------------------------------------------------------------------


def load(threads: int, prefer_gpu: bool) -> Detector:
    card = bundled_card("yolox_nano_coco")
    return Detector.load(MODEL, card, prefer_gpu=prefer_gpu, intra_threads=threads, warmup_runs=3)


def raw_rate(detectors: list[Detector], tensor: NDArray[np.float32], seconds: float) -> float:
    """Runs per second of all ``detectors`` together, each driven back to back from its
    own thread for ``seconds``."""
    counts = [0] * len(detectors)
    barrier = threading.Barrier(len(detectors) + 1)
    stop = threading.Event()

    def drive(k: int) -> None:
        barrier.wait()
        while not stop.is_set():
            detectors[k].infer(tensor)
            counts[k] += 1

    threads = [threading.Thread(target=drive, args=(k,)) for k in range(len(detectors))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


# --- full pipeline --------------------------------------------------------------------


@dataclass
class Camera:
    tracker: Tracker = field(default_factory=Tracker)
    engine: RuleEngine = field(default_factory=RuleEngine)
    watch: SceneWatch = field(default_factory=SceneWatch)
    detections: list[Detection] = field(default_factory=list)


@dataclass
class Sample:
    fetch_ms: float
    change_ms: float
    decode_ms: float
    preprocess_ms: float
    infer_ms: float
    postprocess_ms: float
    rules_ms: float
    inferred: bool
    scene_changed: bool
    events: int


def process(
    detector: Detector,
    camera: Camera,
    data: bytes,
    sample: int,
    fetch_ms: float,
    skip_unchanged: bool,
    scene_changed: bool,
) -> Sample:
    """One sample of one camera, in its lane's thread: detect (or skip), then rules."""
    change_ms = decode_ms = 0.0
    inferred = True
    if skip_unchanged:
        start = time.perf_counter()
        frame = detector.decode(data)
        decode_ms = (time.perf_counter() - start) * 1000.0
        start = time.perf_counter()
        inferred = camera.watch.should_infer(frame, [ZONE.polygon])
        change_ms = (time.perf_counter() - start) * 1000.0
        if inferred:
            camera.detections = detector.detect_frame(frame, decode_ms=decode_ms)
    else:
        camera.detections = detector.detect(data)
    if inferred:
        t = detector.last_timings
        stages = (t.decode_ms, t.preprocess_ms, t.infer_ms, t.postprocess_ms)
    else:
        stages = (decode_ms, 0.0, 0.0, 0.0)
    start = time.perf_counter()
    at = T0 + timedelta(seconds=SAMPLE_EVERY_S * sample)
    tracks = camera.tracker.update(camera.detections, at)
    events = camera.engine.evaluate(tracks, (ZONE,), *SIZE, at, UTC)
    rules_ms = (time.perf_counter() - start) * 1000.0
    return Sample(fetch_ms, change_ms, *stages, rules_ms, inferred, scene_changed, len(events))


# --- measuring on a shared machine ----------------------------------------------------


class Measure(NamedTuple):
    wall_s: float
    cpu_s: float  # this process, all threads
    others: float | None  # cores kept busy by other processes meanwhile (Linux only)
    server_s: float = 0.0  # CPU time of the camera server meanwhile


def machine_busy_s() -> float | None:
    """CPU seconds all cores have spent busy (steal included) since boot, or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / CLOCK_TICKS


def process_cpu_s(pid: int | None) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Meter:
    """Wall time, this process's CPU time, and how busy the rest of the machine was
    (minus the camera server) over one measurement."""

    def __init__(self, server_pid: int | None) -> None:
        self.pid = server_pid
        self.busy, self.server = machine_busy_s(), process_cpu_s(server_pid)
        self.cpu, self.start = time.process_time(), time.perf_counter()

    def stop(self) -> Measure:
        wall, cpu = time.perf_counter() - self.start, time.process_time() - self.cpu
        busy = machine_busy_s()
        others = None
        server = process_cpu_s(self.pid) - self.server
        if busy is not None and self.busy is not None:
            others = max(0.0, (busy - self.busy - cpu - server) / wall)
        return Measure(wall, cpu, others, server)


# --- full pipeline, continued ---------------------------------------------------------


@dataclass
class Run:
    layout: str
    fps: float
    cpu_ms: float  # process CPU time per frame, all threads
    others: float | None
    samples: list[Sample]
    camera_ms: float = 0.0  # the camera server's CPU time per frame

    def mean(self, stage: str) -> float:
        return statistics.fmean(getattr(s, stage) for s in self.samples)


Lane = tuple[Detector, ThreadPoolExecutor]
Item = tuple[int, bytes, float] | None


async def pipeline(
    base: str,
    route: str,
    lanes: list[Lane],
    frames: int,
    cameras: int,
    hold: int,
    skip_unchanged: bool,
    server_pid: int | None,
    offset: int = 0,
) -> tuple[list[Sample], Measure]:
    """``frames`` samples round-robin over ``cameras``; camera c always goes to lane
    c % lanes, so its samples stay in time order. Each lane fetches ahead into a small
    queue (fetching overlaps the work) while its own thread runs detect + rules."""
    width = len(lanes)
    if cameras % width:
        raise SystemExit(f"--cameras {cameras} is not a multiple of {width} lanes")
    state = [Camera() for _ in range(cameras)]
    samples: list[Sample] = []
    loop = asyncio.get_running_loop()
    async with open_camera_session(2 * width) as http:
        await fetch_snapshot(http, f"{base}/{route}/{offset}/0")  # open a connection

        async def fetcher(lane: int, queue: asyncio.Queue[Item]) -> None:
            for i in range(lane, frames, width):
                start = time.perf_counter()
                camera, sample = i % cameras, i // cameras
                data = await fetch_snapshot(http, f"{base}/{route}/{offset + camera}/{sample}")
                await queue.put((i, data, (time.perf_counter() - start) * 1000.0))
            await queue.put(None)

        async def worker(lane: int, queue: asyncio.Queue[Item]) -> None:
            detector, executor = lanes[lane]
            while (item := await queue.get()) is not None:
                i, data, fetch_ms = item
                camera, sample = i % cameras, i // cameras
                scene = scene_of(1 << 20, hold, route, offset + camera, sample)
                moved = sample == 0 or scene != scene_of(
                    1 << 20, hold, route, offset + camera, sample - 1
                )
                done = loop.run_in_executor(
                    executor,
                    process,
                    detector,
                    state[camera],
                    data,
                    sample,
                    fetch_ms,
                    skip_unchanged,
                    moved,
                )
                samples.append(await done)

        queues: list[asyncio.Queue[Item]] = [asyncio.Queue(maxsize=2) for _ in lanes]
        meter = Meter(server_pid)
        await asyncio.gather(
            *(fetcher(k, q) for k, q in enumerate(queues)),
            *(worker(k, q) for k, q in enumerate(queues)),
        )
        measure = meter.stop()
    return samples, measure


# --- one lane per process (how production runs vision workers: one per core) -----------


Job = tuple[str, int, bool] | None  # route, frames, skip unchanged; None: stop


def lane_process(
    base: str,
    cameras: int,
    offset: int,
    hold: int,
    threads: int,
    prefer_gpu: bool,
    conn: Connection,
) -> None:
    """A child process with its own Detector and event loop, running pipeline jobs."""
    lane = (load(threads, prefer_gpu), ThreadPoolExecutor(1, "lane"))
    asyncio.run(pipeline(base, "moving", [lane], 4, cameras, hold, False, None, offset))
    conn.send("ready")
    while (job := conn.recv()) is not None:
        route, frames, skip_unchanged = job
        samples, m = asyncio.run(
            pipeline(base, route, [lane], frames, cameras, hold, skip_unchanged, None, offset)
        )
        conn.send(([astuple(x) for x in samples], m.cpu_s))


class ProcessLanes:
    """``count`` lane processes sharing the cameras (each its own slice)."""

    def __init__(
        self, base: str, count: int, cameras: int, hold: int, threads: int, prefer_gpu: bool
    ) -> None:
        if cameras % count:
            raise SystemExit(f"--cameras {cameras} is not a multiple of {count} processes")
        ctx = multiprocessing.get_context("spawn")
        self.count, self.conns, self.procs = count, [], []
        share = cameras // count
        for k in range(count):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=lane_process,
                args=(base, share, k * share, hold, threads, prefer_gpu, theirs),
                daemon=True,
            )
            proc.start()
            self.conns.append(ours)
            self.procs.append(proc)
        for conn in self.conns:
            conn.recv()  # loaded and warmed up

    def run(
        self, layout: str, route: str, frames: int, skip_unchanged: bool, server_pid: int | None
    ) -> Run:
        meter = Meter(server_pid)
        for conn in self.conns:
            conn.send((route, frames // self.count, skip_unchanged))
        results = [conn.recv() for conn in self.conns]
        m = meter.stop()
        cpu_s = sum(cpu for _, cpu in results)
        samples = [Sample(*row) for rows, _ in results for row in rows]
        others = None if m.others is None else max(0.0, m.others - cpu_s / m.wall_s)
        done = frames // self.count * self.count
        return Run(
            layout, done / m.wall_s, cpu_s * 1000 / done, others, samples, m.server_s * 1000 / done
        )

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join(10)


# --- the run --------------------------------------------------------------------------


def parse_layout(text: str) -> tuple[int, int]:
    lanes, threads = text.lower().split("x")
    return int(lanes), int(threads)


def fmt_others(others: float | None) -> str:
    return "n/a" if others is None else f"{others:.2f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300, help="frames per pipeline run")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds, raw and pipeline interleaved (best)"
    )
    parser.add_argument("--raw-seconds", type=float, default=1.0, help="per raw-model round")
    parser.add_argument(
        "--layouts",
        default="2x1,3x1,1x2",
        help="pipeline layouts, LANESxTHREADS: worker lanes (frames in detect at once), "
        "each with its own Detector of THREADS intra-op threads",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="also measure this many lane processes, one 1-thread Detector each (0: off)",
    )
    parser.add_argument("--cameras", type=int, default=12, help="a multiple of every LANES")
    parser.add_argument("--scenes", type=int, default=6)
    parser.add_argument("--noise", type=float, default=1.5, help="sensor noise, grey levels")
    parser.add_argument("--skip-unchanged", action="store_true")
    parser.add_argument("--hold", type=int, default=4, help="samples a static scene holds")
    parser.add_argument("--cpu", action="store_true", help="do not try a GPU")
    args = parser.parse_args()
    if not MODEL.is_file():
        raise SystemExit(f"no model at {MODEL} (set OFFSITE_TESTDATA_DIR)")
    cores = os.cpu_count() or 1
    prefer_gpu = not args.cpu

    scenes = make_scenes(args.scenes, args.noise)
    sizes = [len(v) for s in scenes for v in s]
    card = bundled_card("yolox_nano_coco")
    tensor, _ = letterbox(decode_frame(scenes[0][0], card.input_size), card)

    raw_sets = {
        label: [load(threads, prefer_gpu) for _ in range(sessions)]
        for label, sessions, threads in (
            ("1 session × 1 thread", 1, 1),
            ("1 session × 2 threads", 1, 2),
            ("2 sessions × 1 thread, from 2 threads", 2, 1),
        )
    }
    providers = next(iter(raw_sets.values()))[0].providers
    lanes_of: dict[str, list[Lane]] = {}
    for n_lanes, threads in map(parse_layout, args.layouts.split(",")):
        layout = f"{n_lanes} lane{'s' if n_lanes > 1 else ''} × {threads}-thread Detector"
        lanes_of[layout] = [
            (load(threads, prefer_gpu), ThreadPoolExecutor(1, f"lane{k}")) for k in range(n_lanes)
        ]

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve_frames, args=(scenes, args.hold, theirs), daemon=True)
    server.start()
    raw: dict[str, tuple[float, float | None]] = {}  # label: frames/s, others
    runs: dict[str, Run] = {}
    skip: Run | None = None
    procs: ProcessLanes | None = None
    try:
        base = f"http://127.0.0.1:{ours.recv()}"
        proc_layout = f"{args.processes} processes × 1 lane × 1-thread Detector"
        if args.processes:
            procs = ProcessLanes(base, args.processes, args.cameras, args.hold, 1, prefer_gpu)

        async def measure(layout: str, route: str, skip_unchanged: bool, frames: int) -> Run:
            if procs is not None and layout == proc_layout:
                return procs.run(layout, route, frames, skip_unchanged, server.pid)
            samples, m = await pipeline(
                base,
                route,
                lanes_of[layout],
                frames,
                args.cameras,
                args.hold,
                skip_unchanged,
                server.pid,
            )
            return Run(
                layout,
                frames / m.wall_s,
                m.cpu_s * 1000 / frames,
                m.others,
                samples,
                m.server_s * 1000 / frames,
            )

        for layout, lanes in lanes_of.items():  # warm-up: threads, connections, caches
            await measure(layout, "moving", False, 4 * len(lanes))
        layouts = [*lanes_of, *([proc_layout] if procs is not None else [])]
        # Raw and pipeline rounds interleaved, so both see the same spells of other load.
        for _ in range(args.repeat):
            for label, detectors in raw_sets.items():
                meter = Meter(server.pid)
                rate = raw_rate(detectors, tensor, args.raw_seconds)
                others = meter.stop().others
                if label not in raw or rate > raw[label][0]:
                    raw[label] = (rate, others)
            for layout in layouts:
                run = await measure(layout, "moving", False, args.frames)
                if layout not in runs or run.fps > runs[layout].fps:
                    runs[layout] = run
        best = max(runs.values(), key=lambda r: r.fps)
        if args.skip_unchanged:
            for _ in range(args.repeat):
                run = await measure(best.layout, "static", True, args.frames)
                if skip is None or run.fps > skip.fps:
                    skip = run
    finally:
        if procs is not None:
            procs.close()
        server.terminate()
        server.join()
        for pool in lanes_of.values():
            for _, executor in pool:
                executor.shutdown()
    raw_label, (raw_best, _) = max(raw.items(), key=lambda kv: kv[1][0])

    print(
        f"\n{len(scenes)} scenes at {SIZE[0]}×{SIZE[1]}, JPEG q90, "
        f"{min(sizes) // 1024}–{max(sizes) // 1024} KiB; model {MODEL.name} "
        f"{card.input_size[0]}×{card.input_size[1]} on {', '.join(providers)}; "
        f"os.cpu_count() = {cores}; best of {args.repeat} interleaved rounds: "
        f"{args.raw_seconds:g} s (raw), {args.frames} frames (pipeline); {args.cameras} cameras\n"
    )
    print(f"{'raw model (back-to-back infer)':<44} {'frames/s':>9} {'ms/run':>7} {'others':>7}")
    for label, (rate, others) in raw.items():
        ms = len(raw_sets[label]) * 1000.0 / rate
        print(f"{label:<44} {rate:>9.1f} {ms:>7.2f} {fmt_others(others):>7}")

    head = ("fetch", "decode", "prep", "infer", "post", "rules", "chg")
    print(
        f"\n{'full pipeline: fetch → detect → rules':<44} {'frames/s':>9} "
        + " ".join(f"{h:>6}" for h in head)
        + f" {'of raw':>7} {'cams/core':>9} {'CPU ms/f':>9} {'cam ms/f':>9} {'others':>7}"
    )
    stages = (
        "fetch_ms",
        "decode_ms",
        "preprocess_ms",
        "infer_ms",
        "postprocess_ms",
        "rules_ms",
        "change_ms",
    )
    rows = list(runs.values()) + ([skip] if skip is not None else [])
    for r in rows:
        label = r.layout if r is not skip else f"[scenario] skip unchanged, {r.layout[:7]}"
        print(
            f"{label:<44} {r.fps:>9.1f} "
            + " ".join(f"{r.mean(s):>6.2f}" for s in stages)
            + f" {r.fps / raw_best:>7.0%} {r.fps * SAMPLE_EVERY_S / cores:>9.0f} "
            f"{r.cpu_ms:>9.2f} {r.camera_ms:>9.2f} {fmt_others(r.others):>7}"
        )
    print(
        "  stages: mean wall ms per frame in its lane (fetch: request latency, overlapped "
        "with the work;\n  chg: change check); CPU ms/f: the pipeline's CPU time per frame; cam "
        "ms/f: the camera server's; "
        "others: cores busy with\n  other processes on this (shared) machine during that "
        "round — well above 0 means a disturbed round"
    )
    events = sum(s.events for s in best.samples)
    print(f"  rule events in the best run: {events} over {len(best.samples)} samples")

    ratio = best.fps / raw_best
    per_core = best.fps * SAMPLE_EVERY_S / cores
    print("\ngoals (full pipeline, every frame inferred):")
    print(
        f"  ≥ 70% of raw model throughput: {best.fps:.1f} / {raw_best:.1f} frames/s = "
        f"{ratio:.0%} ({best.layout} vs {raw_label}) — " + ("met" if ratio >= 0.7 else "not met")
    )
    print(
        f"  ≥ 450 cameras per core at one sample / {SAMPLE_EVERY_S} s: {per_core:.0f} — "
        + ("met" if per_core >= 450 else "not met")
        + f"\n    (the raw model alone: {raw_best * SAMPLE_EVERY_S / cores:.0f}; by this "
        f"process's CPU time per frame: {SAMPLE_EVERY_S * 1000.0 / best.cpu_ms:.0f})"
    )
    if skip is not None:
        inferred = sum(1 for s in skip.samples if s.inferred)
        missed = sum(1 for s in skip.samples if s.scene_changed and not s.inferred)
        extra = sum(1 for s in skip.samples if s.inferred and not s.scene_changed)
        print(
            f"\nskip unchanged — a separate, scenario-dependent figure, not the goal: each "
            f"camera's scene holds\n  for {args.hold} samples (fresh sensor noise every "
            f"sample), so {1 - 1 / args.hold:.0%} of samples are unchanged after the first.\n"
            f"  inferred {inferred} of {len(skip.samples)} samples; scene changes missed: "
            f"{missed}, inferred without a scene change: {extra};\n"
            f"  {skip.fps * SAMPLE_EVERY_S / cores:.0f} cameras per core in this scenario "
            f"({skip.fps / best.fps:.1f}× the every-frame pipeline)"
        )


if __name__ == "__main__":
    asyncio.run(main())
