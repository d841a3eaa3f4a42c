"""The photo of a roll-call answer: a presigned POST grant to one key of the roll call,
checked present when the answer names it; purged with the position track (personal
data, ``OFFSITE_POSITION_RETENTION_DAYS``).

A roll call is not a case, so its photo is not case evidence: no audit chain, no EXIF
check; it shows the desk where the officer is, as the position does."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

import msgspec
from minio.datatypes import PostPolicy
from minio.error import S3Error

from domain.duty.roll_calls import RollCallState
from domain.errors import Conflict, InvalidInput, NotFound
from offsite.settings import EvidenceSettings
from storage.objects import ObjectStore
from storage.tables import RollCall

PREFIX = "roll-calls/"
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/heic", "image/heif"})
FILE_FIELD = "file"
_MISSING = ("NoSuchKey", "NoSuchObject", "NotFound")


class PhotoGrant(msgspec.Struct, frozen=True):
    """POST ``url`` with ``fields`` and the file under ``file_field`` (as ``wx.uploadFile``
    does), then answer the roll call with ``"photo": true``."""

    url: str
    fields: dict[str, str]
    file_field: str
    max_bytes: int
    expires_at: datetime


async def grant(
    store: ObjectStore,
    settings: EvidenceSettings,
    roll_call_id: int,
    officer_id: int,
    content_type: str,
    now: datetime,
) -> PhotoGrant:
    """A grant for the photo of the officer's own unanswered roll call (a new grant
    replaces an earlier one)."""
    if content_type not in PHOTO_TYPES:
        accepted = ", ".join(sorted(PHOTO_TYPES))
        raise InvalidInput("content_type_unsupported", f"accepted: {accepted}")
    key = f"{PREFIX}{roll_call_id}/{secrets.token_urlsafe(12)}"
    open_states = [RollCallState.pending.value, RollCallState.missed.value]
    rows = await RollCall.raw(
        """UPDATE roll_call SET photo_key = {}
            WHERE id = {} AND officer = {} AND state = ANY({}::text[]) RETURNING id""",
        key,
        roll_call_id,
        officer_id,
        open_states,
    )
    if not rows:
        mine = await RollCall.exists().where(
            (RollCall.id == roll_call_id) & (RollCall.officer == officer_id)
        )
        if not mine:
            raise NotFound("roll_call_not_found", f"no roll call {roll_call_id} for you")
        raise Conflict("roll_call_answered", "this roll call was answered already")
    expires_at = now + timedelta(seconds=settings.grant_ttl_s)
    policy = PostPolicy(store.bucket, expires_at)
    policy.add_equals_condition("key", key)
    policy.add_equals_condition("Content-Type", content_type)
    policy.add_content_length_range_condition(1, settings.photo_max_bytes)
    fields = {**store.post_policy_fields(policy), "key": key, "Content-Type": content_type}
    return PhotoGrant(store.upload_url(), fields, FILE_FIELD, settings.photo_max_bytes, expires_at)


def _exists(store: ObjectStore, key: str) -> bool:
    try:
        store.size(key)
    except S3Error as exc:
        if exc.code in _MISSING:
            return False
        raise
    return True


async def require_uploaded(store: ObjectStore, key: str | None) -> None:
    """409 ``roll_call_photo_missing`` unless the granted photo is in the store."""
    if key is None or not await asyncio.to_thread(_exists, store, key):
        raise Conflict("roll_call_photo_missing", "upload the photo with its grant first")


async def purge(store: ObjectStore, before: datetime) -> int:
    """Remove roll-call photos written before ``before``; how many."""
    keys = await asyncio.to_thread(store.older_than, PREFIX, before)
    for key in keys:
        await asyncio.to_thread(store.remove, key)
    if keys:
        await RollCall.raw(
            "UPDATE roll_call SET photo_key = NULL WHERE photo_key = ANY({}::text[])", keys
        )
    return len(keys)
