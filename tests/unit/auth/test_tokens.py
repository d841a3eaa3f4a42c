from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.security import ALGORITHM, Principal, issue_access_token, read_access_token
from domain.errors import Unauthenticated
from domain.org import Role
from offsite.settings import AuthSettings

SETTINGS = AuthSettings(jwt_secret="k" * 40)


def test_round_trip() -> None:
    principal = Principal(7, Role.squad_leader, 3)
    token = issue_access_token(principal, SETTINGS, datetime.now(UTC))
    assert read_access_token(token, SETTINGS) == principal
    assert jwt.get_unverified_header(token)["alg"] == ALGORITHM


def test_expired_beyond_skew_is_refused() -> None:
    issued = datetime.now(UTC) - timedelta(seconds=SETTINGS.access_ttl_s + 31)
    token = issue_access_token(Principal(1, Role.officer, 1), SETTINGS, issued)
    with pytest.raises(Unauthenticated) as refused:
        read_access_token(token, SETTINGS)
    assert refused.value.code == "token_expired"


def test_refresh_tokens_are_not_access_tokens() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(
        {"iss": "offsite", "sub": "1", "role": "admin", "iat": now, "exp": now + 60},
        SETTINGS.jwt_secret,
        algorithm=ALGORITHM,
    )
    with pytest.raises(Unauthenticated):
        read_access_token(token, SETTINGS)


def test_unknown_role_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode(
        {
            "iss": "offsite",
            "sub": "1",
            "role": "emperor",
            "iat": now,
            "exp": now + 60,
            "typ": "access",
        },
        SETTINGS.jwt_secret,
        algorithm=ALGORITHM,
    )
    with pytest.raises(Unauthenticated):
        read_access_token(token, SETTINGS)


def test_verified_tokens_are_remembered_but_never_trusted_blindly() -> None:
    from api.security import VerifiedTokens

    cache = VerifiedTokens(size=2)
    principal = Principal(5, Role.officer, 2)
    token = issue_access_token(principal, SETTINGS, datetime.now(UTC))
    assert cache.read(token, SETTINGS) == principal
    assert cache.read(token, SETTINGS) == principal  # from memory
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(Unauthenticated):
        cache.read(forged, SETTINGS)
    old = issue_access_token(principal, SETTINGS, datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Unauthenticated):
        cache.read(old, SETTINGS)


def test_a_remembered_token_still_expires() -> None:
    from api.security import VerifiedTokens

    cache = VerifiedTokens()
    principal = Principal(5, Role.officer, 2)
    issued = datetime.now(UTC) - timedelta(
        seconds=SETTINGS.access_ttl_s + SETTINGS.clock_skew_s + 5
    )
    token = issue_access_token(principal, SETTINGS, issued)
    # Remembered from when it was valid; now past expiry + skew, it is checked afresh.
    cache._known[token] = (principal, datetime.now(UTC).timestamp() - SETTINGS.clock_skew_s - 1)
    with pytest.raises(Unauthenticated):
        cache.read(token, SETTINGS)
