"""Which URLs integrators may give us to call, decided when they give them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.integration.targets import check_target_url


@pytest.mark.parametrize(
    "url",
    [
        "http://[",
        "https://a b/c",
        "https://example.com/\x00",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "https://example.com:99999/hook",
        "https://example.com:0/hook",
        "https:///hook",
        "https://exa_mple.com/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://10.0.0.8/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://printer.local/hook",
        "http://intranet/hook",
        "https://example.com/" + "x" * 500,
    ],
)
def test_urls_that_cannot_or_may_not_be_called_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_target_url(url, allow_private=False)
    assert refused.value.code == "target_url_invalid"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "http://203.0.113.0.example.org:8443/a?b=c",
        "https://xn--fiqs8s.cn/",
    ],
)
def test_public_urls_are_accepted(url: str) -> None:
    assert check_target_url(url, allow_private=False) == url


def test_private_hosts_are_accepted_where_the_installation_allows_them() -> None:
    assert check_target_url("http://127.0.0.1:9000/h", allow_private=True)
    assert check_target_url("http://localhost/h", allow_private=True)
    with pytest.raises(InvalidInput):
        check_target_url("http://[", allow_private=True)


@given(st.text(max_size=80))
def test_any_text_is_accepted_or_refused_with_the_code(text: str) -> None:
    try:
        check_target_url(text, allow_private=False)
    except InvalidInput as refused:
        assert refused.code == "target_url_invalid"
