"""Roles and jurisdiction: who sees which part of the district.

An officer or squad leader works inside one squad's jurisdiction (辖区); the command
centre, supervisors and admins see the whole district. Every query that returns
squad-owned data is filtered by a ``Scope`` built here, never by ad-hoc checks.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from domain.errors import Forbidden


class Role(StrEnum):
    officer = "officer"  # 执法队员
    squad_leader = "squad_leader"  # 中队长
    commander = "commander"  # 指挥中心
    supervisor = "supervisor"  # 督察
    admin = "admin"  # 管理员

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def is_squad_bound(self) -> bool:
        """Officers and squad leaders belong to exactly one squad."""
        return self in (Role.officer, Role.squad_leader)


_LABELS_ZH = {
    Role.officer: "执法队员",
    Role.squad_leader: "中队长",
    Role.commander: "指挥中心",
    Role.supervisor: "督察",
    Role.admin: "管理员",
}


class Scope(msgspec.Struct, frozen=True):
    """The part of the district a user may see: one squad, or all (``squad_id is None``)."""

    squad_id: int | None

    @property
    def is_district(self) -> bool:
        return self.squad_id is None

    def covers(self, squad_id: int | None) -> bool:
        """Whether data owned by ``squad_id`` is visible in this scope."""
        return self.squad_id is None or self.squad_id == squad_id

    def narrowed(self, squad_id: int | None) -> Scope:
        """This scope limited to ``squad_id`` when a caller names one (``?squad_id=``);
        naming a squad outside it is refused."""
        if squad_id is None:
            return self
        if not self.covers(squad_id):
            raise Forbidden("out_of_jurisdiction", "this belongs to another squad's jurisdiction")
        return Scope(squad_id)


DISTRICT = Scope(None)
"""The whole district: what district roles see, and what jobs work over."""


class ScopeError(ValueError):
    """A squad-bound role without a squad: the account is misconfigured."""


def scope_for(role: Role, squad_id: int | None) -> Scope:
    """The jurisdiction of a user with ``role`` in ``squad_id``."""
    if role.is_squad_bound:
        if squad_id is None:
            raise ScopeError(f"a {role} must belong to a squad")
        return Scope(squad_id)
    return Scope(None)
