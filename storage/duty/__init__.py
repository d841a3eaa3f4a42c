"""Persistence of the duty model: rosters and leave, the position track and duty
transitions, roll calls, and the duty figures."""
