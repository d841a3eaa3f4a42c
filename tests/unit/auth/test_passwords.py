from __future__ import annotations

from domain.auth import codes
from domain.auth.passwords import hash_password, needs_rehash, verify_password


def test_hash_verifies_and_is_salted() -> None:
    first, second = hash_password("s3cret-pass", cost=10), hash_password("s3cret-pass", cost=10)
    assert first != second
    assert verify_password("s3cret-pass", first, cost=10)
    assert not verify_password("s3cret-pasS", first, cost=10)


def test_missing_or_malformed_hash_never_verifies() -> None:
    assert not verify_password("x", None, cost=10)
    assert not verify_password("x", "md5$abc", cost=10)
    assert not verify_password("x", "scrypt$10$8$1$!!$!!", cost=10)


def test_cost_upgrade_is_detected() -> None:
    stored = hash_password("pw-123456", cost=10)
    assert needs_rehash(stored, cost=12)
    assert not needs_rehash(stored, cost=10)
    # An old, cheaper hash still verifies after the setting rises.
    assert verify_password("pw-123456", stored, cost=15)


def test_human_codes_are_unambiguous_and_forgiving() -> None:
    code = codes.new_human_code()
    assert len(code) == 8
    assert not set(code) & set("01ILO")
    assert codes.normalise_human_code(f" {code[:4].lower()}-{code[4:]} ") == code


def test_digest_is_stable_and_tokens_are_unique() -> None:
    assert codes.digest("abc") == codes.digest("abc")
    assert len({codes.new_token("rt_") for _ in range(100)}) == 100
