"""Scopes of integrator API keys: each key may do only what its scopes name."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    complaints_write = "complaints:write"  # push 12345 / 城运 work orders in
    alarms_write = "alarms:write"  # push vendor AI-box / platform alarms in
    events_read = "events:read"  # read the feed of case changes
    cases_read = "cases:read"  # read a case
    webhooks_manage = "webhooks:manage"  # subscribe and unsubscribe webhooks
    personal_data_read = "personal_data:read"  # see phone numbers and names unmasked
