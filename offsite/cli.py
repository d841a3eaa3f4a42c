"""``offsite``: run the system and its parts.

offsite up                 everything, with embedded services and demo data (make run)
offsite test [ARGS]        the test suite against a fresh embedded stack (make test)
offsite api | worker [--integrations | --vision]   one process of the system
offsite migrate | seed     schema and bucket; demo data
offsite figures refresh|rebuild [--check MONTHS]   the dashboard's day tables
offsite hotspots refresh [--weeks N]   the last N weeks' hotspots (default 1), repeat places
offsite services up|down|env|wipe [--profile run|test|bench]
offsite settings           every setting with its environment variable
offsite npm ARGS           npm in web/ with the Node of the `web` extra
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from offsite import logs
from offsite.settings import Settings, describe, get_settings

if TYPE_CHECKING:
    from offsite.devstack import Stack, StackInfo
    from storage.objects import ObjectStore

log = logging.getLogger("offsite")

SERVICE_URLS = ("DATABASE_URL", "REDIS_URL", "S3_ENDPOINT")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _async(main: Callable[[Settings], Coroutine[Any, Any, None]]) -> Callable[[Settings], None]:
    def run(settings: Settings) -> None:
        asyncio.run(main(settings))

    return run


async def _migrate(settings: Settings, to: str = "all") -> None:
    from storage import db
    from storage.cases import aggregates, catalogue
    from storage.objects import ObjectStore

    await db.open_pool(1, 2)
    try:
        await db.migrate(to)
        if to == "all":
            await catalogue.seed(datetime.now(UTC))
            await _seal_credentials(settings)
            # Days a migration marked dirty (the figures' own fills its tables this way).
            await aggregates.refresh()
    finally:
        await db.close_pool()
    store = ObjectStore(settings.s3)
    await asyncio.to_thread(store.ensure_bucket)
    await _bucket_cors(store, settings)


async def _bucket_cors(store: ObjectStore, settings: Settings) -> None:
    """The bucket's CORS rule for the app's origins (``S3_CORS_ORIGINS``): phones POST
    photos straight to the bucket from the app's page, another origin."""
    from storage.objects import CorsOutcome, cors_origins

    origins = cors_origins(settings.s3.cors_origins)
    if not origins:
        return
    outcome = await asyncio.to_thread(store.ensure_cors, origins)
    if outcome is CorsOutcome.set:
        _out(f"bucket {store.bucket}: CORS allows {', '.join(origins)}")
    else:
        _out(
            f"bucket {store.bucket}: the store has no bucket CORS API; configure it there"
            f" (MinIO: MINIO_API_CORS_ALLOW_ORIGIN={','.join(origins)})"
        )


async def _seal_credentials(settings: Settings) -> None:
    """Seal credentials stored before sealing existed or under a retired key (see
    ``storage.sealing``)."""
    from storage import sealing

    if not settings.auth.data_key:
        log.warning("OFFSITE_DATA_KEY is not set: stored credentials were not sealed")
        return
    sealing.configure(settings.auth.data_key, settings.auth.data_keys_retired)
    if sealed := await sealing.reseal():
        log.info("sealed %d stored credentials under the current data key", sealed)


async def _seed(settings: Settings) -> None:
    from storage import db
    from storage.cases import aggregates
    from storage.objects import ObjectStore
    from storage.seed import seed_demo

    await db.open_pool(1, 2)
    try:
        store = ObjectStore(settings.s3)  # the demo cases' photos
        await seed_demo(datetime.now(UTC), settings.auth.password_cost, store, settings.evidence)
        await aggregates.refresh()  # the demo's dashboards show at once
    finally:
        await db.close_pool()


def cmd_api(settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "api.app:create_app",
        address=settings.http.host,
        port=settings.http.port,
        interface=Interfaces.ASGI,
        workers=settings.http.workers,
        factory=True,
        log_enabled=False,
    ).serve()


def cmd_worker(settings: Settings, kind: str = "default") -> None:
    from arq.connections import RedisSettings

    from jobs.worker import IntegrationWorkerSettings, VisionWorkerSettings, WorkerSettings, run

    chosen: dict[str, tuple[type, str]] = {
        "default": (WorkerSettings, settings.redis.queue_name),
        "integrations": (IntegrationWorkerSettings, settings.redis.integrations_queue_name),
        "vision": (VisionWorkerSettings, settings.redis.vision_queue_name),
    }
    worker_settings, queue_name = chosen[kind]
    run(
        worker_settings,
        redis_settings=RedisSettings.from_dsn(settings.redis.url),
        queue_name=queue_name,
    )


def _configured_services(environ: Mapping[str, str]) -> bool:
    """True when URLs of existing services are given; embedded ones are used otherwise."""
    given = [name for name in SERVICE_URLS if environ.get(name)]
    if given and len(given) != len(SERVICE_URLS):
        missing = ", ".join(n for n in SERVICE_URLS if n not in given)
        raise SystemExit(f"set all of {', '.join(SERVICE_URLS)} or none (missing: {missing})")
    return bool(given)


def _child_env(
    settings: Settings, profile: str, extra: Mapping[str, str]
) -> tuple[dict[str, str], Callable[[], None]]:
    """The environment for child processes, starting embedded services when needed."""
    from offsite import devstack

    env = dict(os.environ)
    if _configured_services(env):
        return env | dict(extra), lambda: None
    stack = devstack.Stack(settings.data_dir, profile)
    if profile == "test":
        stack.wipe()
    env |= _stack_up(stack).env | dict(extra)
    # Stops what this start started; services that ran before it (`offsite services up`)
    # are someone else's to stop.
    return env, stack.stop_started


def _stack_up(stack: Stack) -> StackInfo:
    """``stack.up()``, with a refusal (a foreign process on a port, a service that would
    not start) said in one message instead of a traceback."""
    from offsite import devstack

    try:
        return stack.up()
    except devstack.StackError as exc:
        raise SystemExit(f"offsite: the {stack.profile} stack did not start: {exc}") from exc


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the API exited with status {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} was not ready after {timeout_s:.0f} s")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def cmd_up(settings: Settings) -> None:
    """Start everything, print where it is, and stop it all on Ctrl-C."""
    from storage.seed import DEMO_PASSWORD, DEMO_USERS

    started = time.monotonic()
    env, stop_services = _child_env(settings, "run", {})
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        # A second Ctrl-C (or a SIGTERM) while stopping must not leave services behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        stop_services()

    # Installed explicitly: a shell that starts us in the background ignores SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        me = [sys.executable, "-m", "offsite.cli"]
        subprocess.run([*me, "migrate"], env=env, check=True)
        subprocess.run([*me, "seed"], env=env, check=True)
        children.append(subprocess.Popen([*me, "api"], env=env))
        children.append(subprocess.Popen([*me, "worker"], env=env))
        children.append(subprocess.Popen([*me, "worker", "--integrations"], env=env))
        children.append(subprocess.Popen([*me, "worker", "--vision"], env=env))
        base = settings.http.public_url.rstrip("/")
        _wait_ready(f"http://{settings.http.host}:{settings.http.port}/readyz", children[0])
        _out(f"\nOffsite is ready in {time.monotonic() - started:.1f} s\n")
        _out(f"  App        {base}/app/   (officers' phone app)")
        _out(f"  API        {base}/api/v1")
        _out(f"  OpenAPI    {base}/schema/openapi.json")
        _out(f"  Readiness  {base}/readyz")
        _out(f"\n  Demo logins (password {DEMO_PASSWORD!r}):")
        for u in DEMO_USERS:
            _out(f"    {u.username:<22} {u.role.value:<13} {u.display_name}")
        _out(f'\n  curl -s {base}/api/v1/auth/login -H "content-type: application/json" \\')
        _out(f'       -d \'{{"username":"officer.jiangchuan1","password":"{DEMO_PASSWORD}"}}\'')
        _out("\nCtrl-C stops everything started here.\n")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise SystemExit("a child process exited; stopping")
    except KeyboardInterrupt:
        _out("\nstopping ...")
    finally:
        stop()


def cmd_test(settings: Settings, pytest_args: list[str]) -> int:
    """Run pytest against a fresh embedded stack (or the configured services)."""
    env, stop_services = _child_env(
        settings, "test", {"OFFSITE_ENV": "test", "OFFSITE_LOG_LEVEL": "WARNING"}
    )
    try:
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env).returncode
    finally:
        stop_services()


def cmd_services(settings: Settings, action: str, profile: str) -> None:
    from offsite import devstack

    stack = devstack.Stack(settings.data_dir, profile)
    if action == "up":
        info = _stack_up(stack)
        _out("\n".join(f"export {k}={v}" for k, v in info.env.items()))
    elif action == "down":
        stack.down()
    elif action == "wipe":
        stack.wipe()  # its data too, wherever it lives (as root: under /var/lib/offsite)
    else:
        _out("\n".join(f"export {k}={v}" for k, v in stack.info().env.items()))


async def _escalate(settings: Settings) -> None:
    from domain.sla.calendar import WorkCalendar
    from storage import db
    from storage.cases.escalation import escalate_due

    await db.open_pool(1, 2)
    try:
        count = await escalate_due(WorkCalendar.load(), datetime.now(UTC))
    finally:
        await db.close_pool()
    _out(f"escalated {count}")


async def _verify_timeline(case_id: int | None) -> int:
    """Verify one case's audit chain, or every case's; the number of broken chains."""
    from storage import db
    from storage.cases import timeline

    await db.open_pool(1, 2)
    broken = checked = 0
    try:
        if case_id is not None:
            reports = [await timeline.verify_case(case_id)]
        else:
            reports = [r async for r in timeline.verify_all()]
        for report in reports:
            checked += 1
            if not report.ok:
                broken += 1
                _out(
                    f"case {report.case_id}: BROKEN at seq {report.broken_at_seq}: {report.reason}"
                )
    finally:
        await db.close_pool()
    _out(f"{checked} case(s) checked, {broken} broken")
    return broken


async def _figures(action: str, months: int) -> int:
    """Refresh (the dirty days) or rebuild (every day) the day tables, then hold the last
    ``months`` months' sums to the live counts; the number of months that differ."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from storage import db
    from storage.cases import aggregates, figures

    await db.open_pool(1, 2)
    differ = 0
    try:
        started = time.monotonic()
        done = await (aggregates.rebuild() if action == "rebuild" else aggregates.refresh())
        _out(f"{done.days} day(s) in {time.monotonic() - started:.1f} s, as of {done.refreshed_at}")
        start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        for _ in range(months):
            end = (start + timedelta(days=32)).replace(day=1)
            for group_by in figures.GroupBy:
                summed = await figures.indicators(start, end, group_by)
                live = await figures.live_indicators(start, end, group_by)
                if summed != live:
                    differ += 1
                    _out(f"{start:%Y-%m} by {group_by}: the day tables differ from the cases")
            if await figures.precision(start, end) != await figures.live_precision(start, end):
                differ += 1
                _out(f"{start:%Y-%m} precision: the day tables differ from the cases")
            start = (start - timedelta(days=1)).replace(day=1)
    finally:
        await db.close_pool()
    _out(f"{months} month(s) checked, {differ} difference(s)")
    return differ


async def _refresh_hotspots(weeks: int) -> None:
    """Recompute the hotspots of the current ISO week and the ``weeks - 1`` before it,
    oldest first (a week's trend reads the weeks before it); then the repeat places."""
    from datetime import timedelta

    from storage import db, repeat_places
    from storage.hotspots import SHANGHAI, monday_of, refresh_week

    await db.open_pool(1, 2)
    try:
        current = monday_of(datetime.now(UTC).astimezone(SHANGHAI).date())
        for k in range(weeks - 1, -1, -1):
            week = current - timedelta(weeks=k)
            _out(f"{week}: {await refresh_week(week)} hot cell(s)")
        _out(f"{await repeat_places.refresh()} repeat place(s)")
    finally:
        await db.close_pool()


def _weeks(text: str) -> int:
    weeks = int(text)
    if not 1 <= weeks <= 520:
        raise argparse.ArgumentTypeError("between 1 and 520 weeks")
    return weeks


def cmd_verify_package(path: str) -> int:
    """Check an evidence package offline; exit 1 when anything is wrong."""
    from domain.evidence.package import verify_package

    report = verify_package(path)
    for problem in report.problems:
        _out(f"PROBLEM: {problem}")
    _out(f"{report.files} file(s); package {'verified' if report.ok else 'NOT verified'}")
    return 0 if report.ok else 1


def cmd_settings(_: Settings) -> None:
    for var, default, doc in describe():
        _out(f"{var:<32} {default!s:<48} {doc}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="offsite", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "api", "seed", "settings"):
        sub.add_parser(name)
    worker = sub.add_parser(
        "worker", help="the default worker; --integrations the integrator one; --vision cameras"
    )
    which = worker.add_mutually_exclusive_group()
    which.add_argument("--vision", action="store_const", dest="kind", const="vision")
    which.add_argument("--integrations", action="store_const", dest="kind", const="integrations")
    migrate = sub.add_parser("migrate", help="apply migrations and create the bucket")
    migrate.add_argument("--to", default="all", help="stop after this migration id")
    sub.add_parser("escalate", help="one pass of the deadline escalation scan")
    figures = sub.add_parser("figures", help="refresh or rebuild the dashboard's day tables")
    figures.add_argument("action", choices=["refresh", "rebuild"])
    figures.add_argument(
        "--check", type=int, default=2, metavar="MONTHS", help="months to check (0: none)"
    )
    verify = sub.add_parser("verify-timeline", help="verify audit chains (one case or all)")
    verify.add_argument("--case", type=int, default=None)
    package = sub.add_parser("verify-package", help="check an evidence package (zip)")
    package.add_argument("file")
    hotspots = sub.add_parser("hotspots", help="recompute recent weeks' hotspots")
    hotspots.add_argument("action", choices=["refresh"])
    hotspots.add_argument("--weeks", type=_weeks, default=1, help="this week and N-1 before")
    sub.add_parser("test", help="run pytest against fresh services; other args go to pytest")
    sub.add_parser("npm", help="npm in web/ with the packaged Node; other args go to npm")
    services = sub.add_parser("services")
    services.add_argument("action", choices=["up", "down", "env", "wipe"])
    services.add_argument("--profile", choices=["run", "test", "bench"], default="run")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["npm"]:
        # Everything after `npm` is npm's; run in web/ with the packaged Node.
        from offsite.web import run_npm

        raise SystemExit(run_npm(argv[1:]))
    if argv[:1] == ["test"]:
        # Everything after `test` is pytest's, options included.
        settings = get_settings()
        logs.configure(settings.log_level, settings.log_json)
        raise SystemExit(cmd_test(settings, argv[1:]))
    args = parser.parse_args(argv)

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    commands: dict[str, Callable[[Settings], None]] = {
        "up": cmd_up,
        "api": cmd_api,
        "seed": _async(_seed),
        "escalate": _async(_escalate),
        "settings": cmd_settings,
    }
    if args.command == "worker":
        cmd_worker(settings, args.kind or "default")
        return
    if args.command == "verify-package":
        raise SystemExit(cmd_verify_package(args.file))
    if args.command == "figures":
        raise SystemExit(1 if asyncio.run(_figures(args.action, args.check)) else 0)
    if args.command == "verify-timeline":
        raise SystemExit(1 if asyncio.run(_verify_timeline(args.case)) else 0)
    if args.command == "migrate":
        asyncio.run(_migrate(settings, args.to))
        return
    if args.command == "hotspots":
        asyncio.run(_refresh_hotspots(args.weeks))
        return
    if args.command == "services":
        cmd_services(settings, args.action, args.profile)
        return
    commands[args.command](settings)


if __name__ == "__main__":
    main()
