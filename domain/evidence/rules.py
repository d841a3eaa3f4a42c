"""The rules evidence is held to: accepted types, refusal reasons, on-site flags.

A photo for an on-site verification must be taken near the case and during the task;
one that is not is kept (it may still be all there is) but flagged for the reviewer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.geo import LngLat, haversine_m


class Kind(StrEnum):
    photo = "photo"
    video = "video"
    camera_frame = "camera_frame"  # a raw frame from one of our cameras
    annotated_frame = "annotated_frame"  # the same frame with boxes and the zone drawn


class Purpose(StrEnum):
    report = "report"  # taken when reporting (巡查上报)
    verification = "verification"  # on-site verification (现场核查)
    recheck = "recheck"  # after the rectification period (复查)
    other = "other"


class Status(StrEnum):
    granted = "granted"  # upload allowed, not reported done yet
    processing = "processing"  # reported done, being checked
    verified = "verified"  # checked: hash, type and decode are right
    rejected = "rejected"  # checked and refused (see reason); the object is removed
    purged = "purged"  # kept past its retention period: the file is gone, its hash stays


class RejectReason(StrEnum):
    object_missing = "object_missing"  # nothing was uploaded under the grant
    too_large = "too_large"  # bigger than the grant allowed
    type_mismatch = "type_mismatch"  # the bytes are not the declared type
    not_an_image = "not_an_image"  # no image decoder recognises the bytes
    corrupt_image = "corrupt_image"  # recognised but cannot be decoded
    decompression_bomb = "decompression_bomb"  # more pixels than allowed
    grant_expired = "grant_expired"  # reported done after the grant had expired


class Flag(StrEnum):
    far_from_case = "far_from_case"  # taken farther than the radius from the case
    outside_task_window = "outside_task_window"  # taken before the task or long after
    no_location = "no_location"  # neither the photo nor the phone gave a position
    no_capture_time = "no_capture_time"  # no EXIF time
    clock_mismatch = "clock_mismatch"  # EXIF time and the phone's time disagree
    # A frame from a camera without its published location and legal/technical review
    # dates (行政处罚法 art. 41): usable for the inquiry, weak as proof.
    camera_not_reviewed = "camera_not_reviewed"


# Declared content type -> kind (HEIC/HEIF: iPhones' own format, read via pillow-heif).
ACCEPTED_TYPES = {
    "image/jpeg": Kind.photo,
    "image/png": Kind.photo,
    "image/heic": Kind.photo,
    "image/heif": Kind.photo,
    "video/mp4": Kind.video,
}


def onsite_flags(
    *,
    case_point: LngLat | None,
    photo_point: LngLat | None,
    radius_m: float,
    window: tuple[datetime, datetime] | None,
    exif_time: datetime | None,
    device_time: datetime | None,
    clock_tolerance: timedelta = timedelta(minutes=10),
) -> list[Flag]:
    """What a reviewer should know about where and when a photo was taken."""
    flags: list[Flag] = []
    if photo_point is None:
        flags.append(Flag.no_location)
    elif case_point is not None and haversine_m(case_point, photo_point) > radius_m:
        flags.append(Flag.far_from_case)
    if exif_time is None:
        flags.append(Flag.no_capture_time)
    taken = exif_time or device_time
    if window is not None and taken is not None and not window[0] <= taken <= window[1]:
        flags.append(Flag.outside_task_window)
    if exif_time and device_time and abs(exif_time - device_time) > clock_tolerance:
        flags.append(Flag.clock_mismatch)
    return flags
