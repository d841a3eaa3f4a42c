"""Evidence completion throughput for 3 MB phone JPEGs, beside the raw S3 GET + SHA-256
of the same bytes measured in the same run.

    .venv/bin/python benchmarks/bench_evidence.py [--photos 40] [--concurrency 2]

Completion here is the whole check: move out of the grant's reach, stat, stream for
SHA-256, decode (DCT-scaled), EXIF, thumbnail upload, on-site flags, database update
and the audit-chain entry. Uses the embedded services of the ``bench`` profile.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offsite import devstack


def phone_jpeg(seed: int) -> bytes:
    """A 4000x3000 JPEG of about 3 MB with EXIF, like a phone's (noisy real photo)."""
    from PIL import Image

    source = ROOT.parent / "shared" / "testdata" / "images" / "street_pedestrian_plaza.jpg"
    rng = random.Random(seed)
    with Image.open(source) as photo:
        big = photo.convert("RGB").resize((4000, 3000))
    noise = Image.effect_noise((4000, 3000), 40 + rng.random() * 10).convert("RGB")
    blended = Image.blend(big, noise, 0.12)
    exif = Image.Exif()
    exif[0x8769] = {36867: "2026:11:24 10:00:00"}
    out = io.BytesIO()
    blended.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


async def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "-m", "offsite.cli", "migrate"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [sys.executable, "-m", "offsite.cli", "seed"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    from domain.cases.machine import SYSTEM
    from domain.cases.model import Source
    from domain.geo import LngLat
    from domain.org import Scope
    from domain.sla.calendar import WorkCalendar
    from offsite.settings import get_settings
    from storage import db, evidence
    from storage.cases.commands import Deps, NewCase, create_case
    from storage.geography import GeoIndex
    from storage.objects import ObjectStore

    settings = get_settings()
    store = ObjectStore(settings.s3)
    store.ensure_bucket()
    await db.open_pool(2, 8)
    now = datetime.now(UTC)
    case = await create_case(
        Deps(WorkCalendar.load(), GeoIndex()),
        NewCase(source=Source.patrol, violation_type="05-05", position=LngLat(121.39948, 30.99955)),
        SYSTEM,
        now,
    )
    photos = [phone_jpeg(i) for i in range(min(args.photos, 8))]
    print(f"photo size: {sum(map(len, photos)) / len(photos) / 1e6:.2f} MB on average")

    grants = []
    for i in range(args.photos):
        grant = await evidence.grant(
            store,
            settings.evidence,
            case_id=case.id,
            actor=SYSTEM,
            scope=Scope(None),
            content_type="image/jpeg",
            purpose=evidence.Purpose.verification,
            now=now,
        )
        data = photos[i % len(photos)]
        await asyncio.to_thread(store.put_bytes, grant.fields["key"], data, "image/jpeg")
        await evidence.complete(grant.evidence_id, Scope(None), evidence.Completion(), now)
        grants.append(grant)

    # Baseline: the same objects, GET + SHA-256 only.
    def raw(key: str) -> str:
        sha = hashlib.sha256()
        for chunk in store.stream(key):
            sha.update(chunk)
        return sha.hexdigest()

    keys = [g.fields["key"] for g in grants]
    started = time.perf_counter()
    semaphore = asyncio.Semaphore(args.concurrency)

    async def raw_one(key: str) -> None:
        async with semaphore:
            await asyncio.to_thread(raw, key)

    await asyncio.gather(*(raw_one(k) for k in keys))
    raw_s = time.perf_counter() - started

    async def check_one(grant: evidence.Grant) -> None:
        async with semaphore:
            done = await evidence.check(
                store, settings.evidence, grant.evidence_id, datetime.now(UTC)
            )
            assert done is not None and done.status is evidence.Status.verified, done

    started = time.perf_counter()
    await asyncio.gather(*(check_one(g) for g in grants))
    check_s = time.perf_counter() - started
    await db.close_pool()

    n = len(grants)
    print(f"\n{n} photos, {args.concurrency} at a time, 2 cores shared with PostgreSQL and S3\n")
    print(f"{'step':<44} {'photos/s':>9} {'ms/photo':>9}")
    print(f"{'raw S3 GET + SHA-256 (baseline)':<44} {n / raw_s:>9.1f} {raw_s / n * 1000:>9.1f}")
    print(f"{'completion check (full)':<44} {n / check_s:>9.1f} {check_s / n * 1000:>9.1f}")
    print(f"\nratio: completion runs at {raw_s / check_s:.0%} of the raw GET + hash rate")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    stack = devstack.Stack(ROOT / ".data", "bench")
    info = stack.up()
    env = dict(os.environ, **info.env, OFFSITE_LOG_LEVEL="WARNING")
    try:
        await run(args, env)
    finally:
        stack.stop_started()  # what ran before is someone else's


if __name__ == "__main__":
    asyncio.run(main())
