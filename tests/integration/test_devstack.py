"""The embedded stack knows its own services: a foreign process on a port is refused
with a clear error, never taken for ours, and a start that fails half-way stops what it
started."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from offsite import devstack
from offsite.procs import pid_alive


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[devstack.Stack]:
    made = devstack.Stack(tmp_path / "a", "test")
    yield made
    made.wipe()


def _listen(port: int) -> socket.socket:
    """A foreign process's listener: connections are taken and never answered."""
    return socket.create_server(("127.0.0.1", port))


def _nothing_of(stack: devstack.Stack) -> None:
    assert pid_alive(stack.redis.pid_file) is None
    assert pid_alive(stack.s3.pid_file) is None
    assert pid_alive(stack.postgres.dir / "postmaster.pid") is None
    assert not any(stack.running().values())


@pytest.mark.parametrize("service", ["redis", "s3", "postgres"])
def test_a_foreign_listener_is_refused_and_the_start_leaves_nothing_behind(
    stack: devstack.Stack, service: str
) -> None:
    port = {"redis": stack.ports.redis, "s3": stack.ports.s3, "postgres": stack.ports.postgres}
    with _listen(port[service]):
        with pytest.raises(devstack.ForeignService, match=f"127.0.0.1:{port[service]} is held"):
            stack.up()
        _nothing_of(stack)  # redis and S3 started before PostgreSQL failed: stopped again


def test_another_checkouts_stack_on_the_same_ports_is_not_ours(
    stack: devstack.Stack, tmp_path: Path
) -> None:
    stack.up()
    assert stack.running() == {"postgres": True, "redis": True, "s3": True}
    again = devstack.Stack(tmp_path / "a", "test")
    again.up()
    assert again.started == [], "a second start reuses our own services"

    other_root = tmp_path / "b" / "test"
    other_root.mkdir(parents=True)
    (other_root / "ports.json").write_bytes(msgspec.json.encode(stack.ports))
    other = devstack.Stack(tmp_path / "b", "test")
    try:
        assert not any(other.running().values())
        with pytest.raises(devstack.ForeignService, match="a Redis of pid"):
            other.redis.start()
        with pytest.raises(devstack.ForeignService, match="signed with our identity"):
            other.s3.start()
        with pytest.raises(devstack.ForeignService, match=f"a PostgreSQL of {stack.postgres.dir}"):
            other.postgres.start()
        assert stack.running() == {"postgres": True, "redis": True, "s3": True}
    finally:
        other.postgres.wipe()
        shutil.rmtree(tmp_path / "b", ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root's PostgreSQL lives outside .data")
def test_roots_data_dir_from_inside_the_checkout_is_adopted(stack: devstack.Stack) -> None:
    """Before, root's PostgreSQL kept its data in ``.data/<profile>/postgres``; the first
    start since moves it to the system home instead of starting an empty one."""
    stack.up()
    psql = [*stack.postgres._psql(stack.database), "-tAc"]
    subprocess.run([*psql, "CREATE TABLE kept_across_the_move (id int)"], check=True)
    stack.postgres.stop()
    shutil.move(str(stack.postgres.dir), str(stack.postgres.legacy_dir))
    stack.postgres.start()
    assert not stack.postgres.legacy_dir.exists()
    found = subprocess.run(
        [*psql, "SELECT to_regclass('kept_across_the_move') IS NOT NULL"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert found.stdout.strip() == "t"
