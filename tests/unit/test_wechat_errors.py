from __future__ import annotations

from domain.errors import ErrorKind
from integrations.wechat import _error_for


def test_documented_errcodes_map_to_kinds() -> None:
    assert _error_for(40029, "").kind is ErrorKind.invalid
    assert _error_for(45011, "").kind is ErrorKind.rate_limited
    assert _error_for(40226, "").kind is ErrorKind.forbidden
    assert _error_for(-1, "").kind is ErrorKind.unavailable
    assert _error_for(12345, "odd").code == "wechat_error"
