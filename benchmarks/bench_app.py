"""The officer's first load of "my tasks" on a slow phone network, in Chromium.

    .venv/bin/python benchmarks/bench_app.py [--runs 5] [--tasks 12] [--profile bench]

Starts the embedded services of a profile and one API process (granian) serving the
built app (``web/dist``, copied beside a bare static HTML page), signs an officer in
with a dozen open tasks, and opens ``/app/`` (my tasks) in Debian's Chromium at an
iPhone 13 viewport, cold (a new browser context each run: no cache), under CDP network
emulation "Slow 4G" (150 ms RTT, 1.6 Mbps down, 750 kbps up) and a 4× CPU slowdown.
Measures Largest Contentful Paint (PerformanceObserver ``largest-contentful-paint``),
when the task list is on screen, and the JS/CSS shipped (gzip bodies and transfer
sizes from the resource timing). Beside it, in the same run and the same way: a bare
static HTML page from the same server. Goals: LCP ≤ 2.5 s (Web Vitals "good"), the
officer's initial JS ≤ 150 KB gzip. Prints a table; nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import offsite, serve, wait_up
from offsite import devstack

API_PORT = 18130
POINT = {"lng": 121.4054755, "lat": 30.9955505, "coord_type": "wgs84"}  # 江川路 squad
PASSWORD = "bench-password-1"
SLOW_4G = {
    "offline": False,
    "latency": 150,  # ms round trip
    "downloadThroughput": 1.6e6 / 8,  # bytes/s
    "uploadThroughput": 750e3 / 8,
    "connectionType": "cellular4g",
}
CPU_SLOWDOWN = 4
LCP_OBSERVER = """
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__lcp = e.startTime;
}).observe({ type: "largest-contentful-paint", buffered: true });
"""
# What the resource timing says was fetched (the document included).
SHIPPED = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return [nav, ...performance.getEntriesByType("resource")].map((e) => ({
    name: e.name, transfer: e.transferSize, body: e.encodedBodySize,
    decoded: e.decodedBodySize, end: e.responseEnd,
  }));
}"""
# A page shaped like "my tasks", in one static file: the floor under the app's load.
BARE_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>我的任务</title>
<style>body{margin:0;background:#f7f8fa;font-family:sans-serif}h1{font-size:16px;
text-align:center;background:#fff;margin:0;padding:14px}.t{margin:10px 16px;padding:12px 16px;
background:#fff;border-radius:8px}.t b{font-size:16px}.t p{margin:4px 0 0;color:#646566}</style>
</head><body><h1>我的任务</h1>
<div class="t"><b>机动车乱停放</b><p>江川路 101 号门前，店铺门前堆放纸箱</p></div>
<div class="t"><b>店外经营</b><p>江川路 99 号，剩余 2小时10分</p></div>
</body></html>"""


async def setup(base: str, tasks: int) -> dict[str, Any]:
    """An on-duty officer of 江川路 holding ``tasks`` open cases; their token answer."""
    from domain.auth.passwords import hash_password
    from domain.org import Role
    from storage.tables import Case, Squad, StaffUser

    squad = await Squad.select(Squad.id).where(Squad.code == "310112001").first()
    assert squad is not None, "run `offsite seed` first"
    username = f"bench.app.{time.time_ns()}"
    rows = await StaffUser.insert(
        StaffUser(
            username=username,
            display_name="王建国",
            role=Role.officer.value,
            squad=squad["id"],
            password_hash=hash_password(PASSWORD, cost=4),
        )
    ).returning(StaffUser.id)
    officer = rows[0]["id"]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        tokens: dict[str, Any] = login.json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        await http.put("/api/v1/me/duty", headers=auth, json={"on_duty": True, "location": POINT})
        for i in range(tasks):
            case = await http.post(
                "/api/v1/cases",
                headers=auth,
                json={
                    "violation_type": "05-05" if i % 2 else "05-04",
                    "location": POINT,
                    "address": f"江川路 {101 + i} 号门前",
                    "description": "店铺门前堆放纸箱，占用人行道约 3 米",
                },
            )
            assert case.status_code == 201, case.text
            # Whoever auto-dispatch chose among the bench data's officers: it is theirs now.
            await Case.update({Case.assignee: officer, Case.state: "dispatched"}).where(
                Case.id == case.json()["id"]
            )
    return tokens


def session_script(tokens: dict[str, Any]) -> str:
    """The app's stored session (web/src/auth/store.ts), as a phone that signed in before."""
    import json

    session = {
        "accessToken": tokens["access_token"],
        "refreshToken": tokens["refresh_token"],
        "expiresAt": int(time.time() * 1000) + tokens["expires_in"] * 1000,
        "user": tokens["user"],
    }
    return f"localStorage.setItem('offsite.session', {json.dumps(json.dumps(session))});"


async def load(
    browser: Any, device: dict[str, Any], url: str, init: str, ready: str
) -> dict[str, Any]:
    """One cold load under Slow 4G and 4× CPU: LCP, time to ``ready``, what was fetched."""
    context = await browser.new_context(**device, locale="zh-CN", timezone_id="Asia/Shanghai")
    await context.add_init_script(init + LCP_OBSERVER)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    started = time.perf_counter()
    await page.goto(url, wait_until="commit")
    await page.locator(ready).first.wait_for(timeout=60_000)
    shown_ms = (time.perf_counter() - started) * 1000
    # Not "networkidle": the app's live stream stays open. What loads after the list
    # (the inbox bell's chunk) is in by a second later, and counted.
    await page.wait_for_load_state("load")
    await page.wait_for_timeout(1500)
    lcp = await page.evaluate("window.__lcp")
    entries = await page.evaluate(SHIPPED)
    await context.close()
    return {"lcp": lcp, "shown": shown_ms, "entries": entries}


def kinds(entries: list[dict[str, Any]], suffix: str) -> tuple[int, int, int]:
    """(gzip bytes, transfer bytes, files) of the fetched files ending in ``suffix``."""
    picked = [e for e in entries if e["name"].split("?")[0].endswith(suffix)]
    return sum(e["body"] for e in picked), sum(e["transfer"] for e in picked), len(picked)


async def measure(base: str, tokens: dict[str, Any], runs: int) -> dict[str, list[dict[str, Any]]]:
    from playwright.async_api import async_playwright

    from tests.e2e.browser import LAUNCH_ARGS, ensure_chromium

    executable = ensure_chromium()
    results: dict[str, list[dict[str, Any]]] = {"bare": [], "app": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(executable), headless=True, args=LAUNCH_ARGS
        )
        device = p.devices["iPhone 13"]
        await load(browser, device, f"{base}/app/bare.html", "", ".t")  # warm the server
        await load(browser, device, f"{base}/app/", session_script(tokens), "[data-case]")
        for _ in range(runs):  # interleaved: drift on the machine hits both alike
            results["bare"].append(await load(browser, device, f"{base}/app/bare.html", "", ".t"))
            results["app"].append(
                await load(browser, device, f"{base}/app/", session_script(tokens), "[data-case]")
            )
        await browser.close()
    return results


def report(results: dict[str, list[dict[str, Any]]], runs: int, tasks: int) -> None:
    print(
        f"\nFirst load, cold, {runs} runs each (median), Chromium at iPhone 13 size, "
        f"Slow 4G (150 ms RTT, 1.6 Mbps down, 750 kbps up), {CPU_SLOWDOWN}× CPU slowdown; "
        f"{tasks} open tasks; one API process on this machine ({os.cpu_count()} cores)\n"
    )
    print(
        f"{'page':<34} {'LCP ms':>8} {'shown ms':>9} {'JS gzip KB':>11} {'JS files':>9}"
        f" {'CSS gzip KB':>12} {'all transfer KB':>16} {'requests':>9}"
    )
    medians: dict[str, float] = {}
    for name, label in (("bare", "bare static HTML page"), ("app", "officer app: my tasks")):
        rows = results[name]
        lcp = statistics.median(r["lcp"] for r in rows)
        shown = statistics.median(r["shown"] for r in rows)
        entries = rows[-1]["entries"]
        js_body, _, js_files = kinds(entries, ".js")
        css_body, _, _ = kinds(entries, ".css")
        transfer = sum(e["transfer"] for e in entries)
        medians[name] = lcp
        print(
            f"{label:<34} {lcp:>8.0f} {shown:>9.0f} {js_body / 1024:>11.1f} {js_files:>9}"
            f" {css_body / 1024:>12.1f} {transfer / 1024:>16.1f} {len(entries):>9}"
        )
        if name == "app":
            app_js = js_body
    print(
        f"\napp LCP / bare LCP: {medians['app'] / medians['bare']:.2f}×;"
        f" goals: LCP ≤ 2500 ms ({'met' if medians['app'] <= 2500 else 'MISSED'}),"
        f" officer initial JS ≤ 150 KB gzip ({'met' if app_js <= 150 * 1024 else 'MISSED'})"
    )
    print("\nfiles of the app's first load (gzip KB):")
    for e in sorted(results["app"][-1]["entries"], key=lambda e: -e["body"]):
        print(f"  {e['body'] / 1024:7.1f}  {e['name'].rsplit('/', 1)[-1] or '/app/'}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=12)
    parser.add_argument("--profile", default="bench", choices=("bench", "run", "test"))
    args = parser.parse_args()
    dist = ROOT / "web" / "dist"
    if not (dist / "index.html").exists():
        raise SystemExit("the app is not built: run `make install` (npm run build in web/)")

    stack = devstack.Stack(ROOT / ".data", args.profile)
    info = stack.up()
    served = Path(tempfile.mkdtemp(prefix="bench-app-"))
    shutil.copytree(dist, served, dirs_exist_ok=True)
    (served / "bare.html").write_text(BARE_HTML, encoding="utf-8")
    env = {
        **os.environ,
        "OFFSITE_JWT_SECRET": "bench-secret-" + "x" * 40,
        **info.env,
        "OFFSITE_LOG_LEVEL": "WARNING",
        "OFFSITE_ENV": "bench",
        "OFFSITE_WEB_DIST": str(served),
    }
    os.environ.update(env)
    offsite(env, "migrate")
    offsite(env, "seed")
    server = serve(env, "api.app:create_app", API_PORT)
    from storage.db import close_pool, open_pool

    try:
        await open_pool(1, 4)
        base = f"http://127.0.0.1:{API_PORT}"
        wait_up(f"{base}/healthz")
        tokens = await setup(base, args.tasks)
        results = await measure(base, tokens, args.runs)
    finally:
        server.terminate()
        server.wait(10)
        await close_pool()
        shutil.rmtree(served, ignore_errors=True)
        stack.stop_started()  # what ran before is someone else's
    report(results, args.runs, args.tasks)
    print(f"\n(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    asyncio.run(main())
