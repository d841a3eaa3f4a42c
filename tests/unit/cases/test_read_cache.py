from __future__ import annotations

from storage.cases.changes import Notice, ReadCache


def connected_cache() -> ReadCache:
    cache = ReadCache(ttl_s=60)
    cache.connected = True
    return cache


def test_an_entry_lives_until_its_squad_or_user_changes() -> None:
    cache = connected_cache()
    board, tasks = cache.generation(squad=3), cache.generation(user=9)
    cache.put("board", board, b"b")
    cache.put("tasks", tasks, b"t")
    cache.invalidate(Notice(squads=[4], users=[10]))
    assert cache.get("board", cache.generation(squad=3)) == b"b"
    assert cache.get("tasks", cache.generation(user=9)) == b"t"
    cache.invalidate(Notice(squads=[3], users=[9]))
    assert cache.get("board", cache.generation(squad=3)) is None
    assert cache.get("tasks", cache.generation(user=9)) is None


def test_district_lists_change_with_any_notice() -> None:
    cache = connected_cache()
    cache.put("district", cache.generation(), b"d")
    cache.invalidate(Notice())  # e.g. a case outside every squad
    assert cache.get("district", cache.generation()) is None


def test_a_change_during_the_query_makes_the_result_stale() -> None:
    cache = connected_cache()
    before = cache.generation(user=9)
    cache.invalidate(Notice(users=[9]))  # committed while the query ran
    cache.put("tasks", before, b"old")
    assert cache.get("tasks", cache.generation(user=9)) is None


def test_nothing_is_served_without_the_listener() -> None:
    cache = ReadCache(ttl_s=60)
    cache.put("x", cache.generation(), b"x")
    assert cache.get("x", cache.generation()) is None


def test_entries_expire() -> None:
    cache = ReadCache(ttl_s=0)
    cache.connected = True
    cache.put("x", cache.generation(), b"x")
    assert cache.get("x", cache.generation()) is None
