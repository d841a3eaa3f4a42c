"""Stored credentials are sealed under the data key, bound to their column."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from storage import sealing


@pytest.fixture
def key() -> Iterator[str]:
    previous = sealing._cipher
    data_key = base64.b64encode(bytes(range(32))).decode()
    sealing.configure(data_key)
    yield data_key
    sealing._cipher = previous


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

    with pytest.raises(sealing.DataKeyError, match="does not open"):
        sealing.unseal(stored, "webhook_subscription.secret")


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
