"""Integrator URLs may not lead deliveries into this network (SSRF)."""

from __future__ import annotations

import pytest

from integrations.outbound import TargetRefused, ensure_public


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/x",
        "http://192.168.1.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://8.8.8.8/x",
    ],
)
async def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        await ensure_public(url, allow_private=False)


async def test_public_addresses_pass_and_private_ones_when_allowed() -> None:
    await ensure_public("https://8.8.8.8/hook", allow_private=False)
    await ensure_public("http://127.0.0.1:8000/hook", allow_private=True)
