"""The organisation: roles, squads (中队), grid cells (网格), staff, and who sees what."""

from domain.org.entities import GridCell, Squad, User
from domain.org.roles import DISTRICT, Role, Scope, ScopeError, scope_for

__all__ = ["DISTRICT", "GridCell", "Role", "Scope", "ScopeError", "Squad", "User", "scope_for"]
