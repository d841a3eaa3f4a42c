"""Who the client is behind load balancers: X-Forwarded-For and X-Forwarded-Proto are
believed only when the peer is a trusted proxy (``OFFSITE_TRUSTED_PROXIES``).

Anyone can send those headers; a proxy appends the address it received the request from
to X-Forwarded-For. So the client is the rightmost address not itself a trusted proxy:
what is left of it was written by the client and proves nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the peer, or behind trusted proxies the rightmost hop of
    ``forwarded_for`` that is not one of them."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: believe nothing
    return hops[0] if hops else peer  # every hop a proxy: the farthest one


def is_https(
    scheme: str, peer: str, forwarded_proto: str | None, trusted: Sequence[Network]
) -> bool:
    """Whether the client's request came over TLS (to us, or to a trusted proxy)."""
    if scheme == "https":
        return True
    if forwarded_proto and _trusted(peer, trusted):
        # A chain of proxies may list one protocol per hop; the first is the client's.
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return False
