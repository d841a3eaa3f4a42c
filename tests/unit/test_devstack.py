"""The embedded stacks' ports: profiles that can run side by side must not collide."""

from __future__ import annotations

import itertools
from pathlib import Path

from offsite import devstack


def test_profile_ports_never_collide() -> None:
    """weed mini's gRPC port is its HTTP port + 10000: no stack may own another's."""
    stacks = [*devstack.PROFILES.values(), devstack.free_ports()]
    for a, b in itertools.combinations(stacks, 2):
        assert not devstack.all_ports(a) & devstack.all_ports(b), (a, b)
    for ports in stacks:
        assert len(devstack.all_ports(ports)) == 11
        assert max(devstack.all_ports(ports)) < 65536


def test_the_test_stack_keeps_its_ports_until_wiped(tmp_path: Path) -> None:
    stack = devstack.Stack(tmp_path, "test")
    again = devstack.Stack(tmp_path, "test")
    assert stack.ports == again.ports
    assert stack.ports not in devstack.PROFILES.values()


def test_test_stack_ports_stay_below_the_ephemeral_range() -> None:
    """A port the kernel may hand out as a source port can be lost while its service
    restarts; the test stack (restarted by the fault tests) stays below 32768."""
    for _ in range(20):
        assert max(devstack.all_ports(devstack.free_ports())) < 32768
