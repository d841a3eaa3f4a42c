"""Client times: an offset is required, whichever way the value arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from domain.errors import InvalidInput
from domain.moments import AwareDatetime, require_offset


class _Body(msgspec.Struct):
    at: AwareDatetime


def test_a_naive_value_is_refused_while_decoding() -> None:
    with pytest.raises(msgspec.ValidationError, match="timezone component"):
        msgspec.json.decode(b'{"at": "2026-11-24T17:30:00"}', type=_Body)
    body = msgspec.json.decode(b'{"at": "2026-11-24T17:30:00+08:00"}', type=_Body)
    assert body.at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_require_offset() -> None:
    assert require_offset(None, "from") is None
    aware = datetime(2026, 11, 24, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    assert require_offset(aware, "from") is aware
    with pytest.raises(InvalidInput) as caught:
        require_offset(datetime(2026, 11, 24, 17, 30), "from")
    assert caught.value.code == "datetime_without_offset"
