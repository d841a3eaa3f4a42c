"""Cases in the database: the command use case, timeline, deadlines, escalation, board.

Each command runs in one transaction: the case row is locked, the pure state machine
decides, and the new state, its timeline entry, deadlines and outbox rows are written
together or not at all.
"""
