"""Stored credentials are sealed under the data key, bound to their column."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from storage import sealing

OLD, NEW = (base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2))


@pytest.fixture
def key() -> Iterator[str]:
    previous = list(sealing._ciphers)
    data_key = base64.b64encode(bytes(range(32))).decode()
    sealing.configure(data_key)
    yield data_key
    sealing._ciphers[:] = previous


def test_a_sealed_value_opens_in_its_column_only(key: str) -> None:
    stored = sealing.seal("hik12345", "camera.source_password")

    assert stored.startswith(sealing.PREFIX) and "hik12345" not in stored
    assert stored != sealing.seal("hik12345", "camera.source_password")  # a fresh nonce
    assert sealing.unseal(stored, "camera.source_password") == "hik12345"
    with pytest.raises(sealing.DataKeyError):
        sealing.unseal(stored, "webhook_subscription.secret")


def test_another_key_does_not_open_it(key: str) -> None:
    stored = sealing.seal("s3cret", "webhook_subscription.secret")
    sealing.configure(base64.b64encode(b"\x01" * 32).decode())

    with pytest.raises(sealing.DataKeyError, match="none of the configured"):
        sealing.unseal(stored, "webhook_subscription.secret")


def test_a_retired_key_still_opens_until_resealed(key: str) -> None:
    sealing.configure(OLD)
    old = sealing.seal("s3cret", "webhook_subscription.secret")
    sealing.configure(NEW, retired=f"{OLD}, ")

    assert sealing.unseal(old, "webhook_subscription.secret") == "s3cret"
    assert sealing._open(old, "webhook_subscription.secret")[1] == 1  # reseal rewrites it
    new = sealing.seal("s3cret", "webhook_subscription.secret")
    sealing.configure(NEW)
    assert sealing.unseal(new, "webhook_subscription.secret") == "s3cret"
    with pytest.raises(sealing.DataKeyError):
        sealing.unseal(old, "webhook_subscription.secret")


def test_empty_and_legacy_plaintext_values_read_as_they_are(key: str) -> None:
    assert sealing.seal("", "camera.source_password") == ""
    assert sealing.unseal("", "camera.source_password") == ""
    assert sealing.unseal("written-before-sealing", "camera.source_password") == (
        "written-before-sealing"
    )


@pytest.mark.parametrize("bad", ["", "short", base64.b64encode(b"x" * 16).decode(), "!!!"])
def test_a_malformed_key_is_refused(bad: str) -> None:
    with pytest.raises(sealing.DataKeyError, match="OFFSITE_DATA_KEY"):
        sealing.configure(bad)
    with pytest.raises(sealing.DataKeyError, match="OFFSITE_DATA_KEYS_RETIRED"):
        sealing.configure(NEW, retired=bad or "x")
