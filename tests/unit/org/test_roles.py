from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.org import Role, ScopeError, scope_for


@given(own=st.integers(1, 14), other=st.integers(1, 14))
def test_squad_roles_see_only_their_squad(own: int, other: int) -> None:
    for role in (Role.officer, Role.squad_leader):
        assert scope_for(role, own).covers(other) == (own == other)


@given(squad=st.one_of(st.none(), st.integers(1, 14)))
def test_district_roles_see_everything(squad: int | None) -> None:
    for role in (Role.commander, Role.supervisor, Role.admin):
        assert scope_for(role, None).covers(squad)


def test_squad_role_without_squad_is_a_configuration_error() -> None:
    with pytest.raises(ScopeError):
        scope_for(Role.officer, None)


def test_every_role_has_a_chinese_label() -> None:
    assert {r.label_zh for r in Role} == {"执法队员", "中队长", "指挥中心", "督察", "管理员"}
