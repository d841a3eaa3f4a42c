"""The client's address and protocol behind trusted proxies only."""

from __future__ import annotations

import pytest

from api.proxies import client_address, is_https
from offsite.settings import SettingsError, trusted_networks

LB = trusted_networks("10.0.0.0/8, 2001:db8:ffff::/48")


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", LB) == "203.0.113.9"


def test_behind_the_load_balancer_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote "1.1.1.1" itself; the LB appended what it saw (198.51.100.1).
    assert client_address("10.0.0.2", "1.1.1.1, 198.51.100.1", LB) == "198.51.100.1"
    assert client_address("10.0.0.2", "198.51.100.1, 10.3.3.3", LB) == "198.51.100.1"
    assert client_address("10.0.0.2", "2001:db8::1 , 2001:db8:ffff::7", LB) == "2001:db8::1"


def test_garbage_or_only_proxies_in_the_header() -> None:
    assert client_address("10.0.0.2", "not-an-ip", LB) == "10.0.0.2"
    assert client_address("10.0.0.2", "10.9.9.9, 10.8.8.8", LB) == "10.9.9.9"
    assert client_address("10.0.0.2", "", LB) == "10.0.0.2"


def test_https_is_believed_from_a_trusted_proxy_only() -> None:
    assert is_https("https", "203.0.113.9", None, ())
    assert is_https("http", "10.0.0.2", "https", LB)
    assert not is_https("http", "203.0.113.9", "https", LB)
    assert not is_https("http", "10.0.0.2", "http", LB)


def test_a_bad_cidr_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="OFFSITE_TRUSTED_PROXIES"):
        trusted_networks("10.0.0.0/33")
