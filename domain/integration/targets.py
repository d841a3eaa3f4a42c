"""Which URLs an integrator may give us to call (webhooks, status callbacks).

Checked when the URL is given, so a subscription that can never be delivered is refused
with a reason instead of failing at every delivery. Pure: syntax, scheme, and hosts that
are non-public on their face (IP literals, ``localhost``, internal-only names). A name
that resolves to a private address is caught at delivery, where the connection is made
(``integrations/outbound.py``), since DNS answers change.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from domain.errors import InvalidInput

MAX_URL_LENGTH = 500
# A DNS name: labels of letters, digits and hyphens (IDNs arrive as punycode).
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _refuse(detail: str) -> InvalidInput:
    return InvalidInput("target_url_invalid", detail)


def check_target_url(url: str, *, allow_private: bool) -> str:
    """``url`` if deliveries may go there, else ``InvalidInput("target_url_invalid")``.
    ``allow_private`` admits loopback and private hosts (development, tests, or an
    installation whose integrators sit on the internal network)."""
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 0x20 for c in url):
        raise _refuse("the URL is too long or has spaces or control characters in it")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise _refuse(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise _refuse("only http:// and https:// URLs can be called")
    if not host:
        raise _refuse("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise _refuse("credentials in the URL are not accepted; the signature authenticates us")
    if port == 0:
        raise _refuse("port 0 cannot be called")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and not _HOSTNAME.match(host):
        raise _refuse(f"{host!r} is not a host name")
    if allow_private:
        return url
    if address is not None and not address.is_global:
        raise _refuse(f"{host} is not a public address")
    if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES) or "." not in host:
        raise _refuse(f"{host} is an internal name")
    return url
