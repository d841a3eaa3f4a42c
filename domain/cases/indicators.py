"""The formulas of the assessment indicators (数字城管考核指标), pure.

Storage counts; these say what the counts mean and make the rates out of them.
"""

from __future__ import annotations


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a rate in [0, 1]; ``None`` when there is nothing to rate.

    Every indicator's ``part`` is a subset of its ``whole`` by construction; the bound
    keeps a rate a rate even if a data repair ever breaks that.
    """
    if whole <= 0:
        return None
    return min(1.0, max(0.0, part / whole))


def rework_rate(reworked: int, reviewed: int) -> float | None:
    """返工率 of a period: the share of the cases reviewed in the period that were sent back.

    - ``reworked``: cases returned (退回, squad leader) or reopened (返工, supervisor) at
      least once in the period. Rework counts the moment it happens, in the month of the
      return or reopen: a squad cannot keep it off its figures by never closing the case
      again, and a case is never counted twice in one period.
    - ``reviewed``: cases with a review decision in the period: closed, returned or
      reopened. Every reworked case is a reviewed one, so the rate is at most 100%.

    ``rework_rate = reworked / reviewed``; ``None`` when nothing was reviewed.
    """
    return share(reworked, reviewed)
