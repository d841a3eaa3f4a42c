"""Outside systems that call us: integrators and what each key may do."""

from domain.integration.scopes import Scope as IntegratorScope

__all__ = ["IntegratorScope"]
