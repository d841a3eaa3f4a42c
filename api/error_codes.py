"""Every error code the API may answer with, documented in the OpenAPI document.

A test checks that each code raised anywhere in the code is listed here, so clients
generated from the document know every ``code`` they can receive.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

ERROR_CODES: dict[str, str] = {
    # request shape and paging
    "invalid_request": "The body, query or path does not match the schema (see `errors`).",
    "bad_request": "The request could not be read.",
    "cursor_invalid": "The cursor was not returned by this API.",
    "not_found": "No such route.",
    "method_not_allowed": "The route does not take this method.",
    "payload_too_large": "The body is larger than allowed.",
    "unsupported_media_type": "The body's content type is not accepted.",
    "location_invalid": "A location is not finite, out of lng [-180, 180] / lat [-90, 90], "
    "or out of range once converted to WGS-84.",
    "bbox_invalid": "A map `bbox` that is not west,south,east,north in degrees with west <"
    " east and south < north, inside China's range (lng 72.004..137.8347, lat"
    " 0.8293..55.8271).",
    "internal_error": "A bug on our side; it has been logged with the request id.",
    "text_invalid": "Text with a NUL (U+0000) character, which cannot be stored.",
    "value_out_of_range": "A number beyond what its field can hold (ids are 32-bit).",
    "body_invalid": "The body is not valid UTF-8 JSON.",
    "body_too_deep": "The JSON body is nested too deeply.",
    "target_url_invalid": "A webhook or callback URL that cannot, or may not, be called.",
    # backing services down (503 with Retry-After; nothing was half-written: retry with
    # the same Idempotency-Key)
    "database_unavailable": "The database cannot be reached right now; retry shortly.",
    "service_unavailable": "The job queue (Redis) cannot be reached right now; retry shortly.",
    "storage_unavailable": "The object store cannot be reached right now; retry shortly.",
    "http_error": "Another HTTP-level refusal.",
    "app_not_built": "The mobile app's bundle is not built on this server (`/app/`).",
    # authentication
    "auth_required": "Send `Authorization: Bearer <access token>`.",
    "token_invalid": "The access token is malformed, forged, or for another issuer.",
    "token_expired": "The access token has expired: refresh it.",
    "session_ended": "The token's sign-in has ended (sign-out, deactivation, changed"
    " password, role or squad): sign in again.",
    "invalid_credentials": "Wrong username or password.",
    "account_disabled": "The account is disabled.",
    "login_throttled": "Too many failed sign-ins from this address (for this account, or"
    " any): wait `Retry-After` seconds. The account itself is never locked.",
    "rate_limited": "Too many requests; wait `Retry-After` seconds.",
    "refresh_token_invalid": "Unknown refresh token.",
    "refresh_token_expired": "The refresh token has expired: sign in again.",
    "refresh_token_revoked": "The session was ended (sign-out, or reuse detected).",
    "refresh_token_reused": "A spent refresh token was presented again; its sessions end.",
    # WeChat
    "wechat_not_bound": "This WeChat account is not bound yet: bind it with a binding code.",
    "wechat_already_bound": "This WeChat account is bound to another user.",
    "binding_code_invalid": "The binding code is wrong, used or expired.",
    "wechat_code_invalid": "WeChat refused the login code (40029: invalid or used).",
    "wechat_rate_limited": "WeChat's login frequency limit (45011).",
    "wechat_user_blocked": "WeChat marked the user as high-risk (40226).",
    "wechat_busy": "WeChat is busy (-1); retry shortly.",
    "wechat_error": "WeChat answered another error.",
    "wechat_unreachable": "WeChat did not answer.",
    "wechat_not_configured": "WeChat sign-in is not configured on this installation.",
    # authorisation
    "forbidden": "Not allowed.",
    "role_forbidden": "The caller's role may not do this.",
    "out_of_jurisdiction": "The data belongs to another squad's jurisdiction.",
    # organisation
    "user_not_found": "No such user.",
    "username_taken": "The username is taken.",
    "squad_not_found": "No such squad.",
    "squad_required": "Officers and squad leaders must belong to a squad.",
    "squad_not_allowed": "District roles do not belong to a squad.",
    "bootstrap_admin_invalid": "OFFSITE_BOOTSTRAP_ADMIN is not username:password.",
    "integrator_key_not_found": "No such integrator key.",
    # cases
    "report_not_found": "No monthly report for that month (not generated, not complete).",
    "case_not_found": "No such case in the caller's jurisdiction.",
    "case_version_conflict": "The case changed since it was read: reload (see current_version).",
    "case_state_invalid": "The command does not apply to the case's current state.",
    "not_assignee": "Only the assigned officer (or a manager of the squad) may do this.",
    "already_assigned": "The case is already with that officer.",
    "officer_not_in_squad": "The officer is not an active officer of the case's squad.",
    # emergencies (突发事件)
    "already_emergency": "The case is already an emergency.",
    "not_emergency": "Only an emergency takes responders: declare it first.",
    "already_responding": "Every officer named is already sent to this emergency.",
    "officer_not_available": "A responder must be on shift (roster) and on duty (phone) now.",
    "not_responder": "Only an officer sent to this emergency may acknowledge or arrive.",
    "already_acknowledged": "Your acknowledgement of this call is recorded.",
    "already_arrived": "Your arrival at this emergency is recorded.",
    "rectify_by_required": "A rectification order needs a deadline.",
    "rectify_by_past": "The rectification deadline must be in the future.",
    "rectify_by_not_later": "An extension must end later than the running order.",
    "datetime_without_offset": "Times need an offset, e.g. 2026-11-24T17:30:00+08:00.",
    "external_ref_required": "Filing needs the formal case system's reference.",
    "outcome_not_on_site": "Self-correction is recorded by a recheck, not on site.",
    "command_unknown": "No such command.",
    "source_forbidden": "The caller's role cannot report cases of that source.",
    "idempotency_key_invalid": "Idempotency-Key must be 1-128 printable characters.",
    "idempotency_key_reused": "The Idempotency-Key was already used for a different request.",
    "violation_type_unknown": "No active violation type with that code.",
    "violation_type_invalid": "The violation type does not validate (see detail).",
    "period_invalid": "period is YYYY, YYYY-MM or YYYY-MM-DD, and must exist.",
    "subject_not_found": "No such supervised subject.",
    "photo_required": "Verification and recheck need at least one photo (evidence_ids).",
    "evidence_checks_pending": "A photo's check is still running: retry after `retry_after_s` "
    "with the same Idempotency-Key (see `pending`).",
    "evidence_invalid": "An evidence id is not an accepted upload of this case.",
    "file_too_large": "The file is larger than evidence of its kind may be.",
    "camera_not_found": "No such camera in the caller's jurisdiction.",
    "camera_device_taken": "A camera with that device id is registered already.",
    "camera_in_use": "Cases refer to this camera: disable it instead of deleting it.",
    "source_url_invalid": "The frame source URL does not match its kind (http(s) / rtsp).",
    "source_url_credentials": "Credentials go in username/password, not inside the URL.",
    "zone_key_duplicate": "Zone keys must differ within a camera.",
    "zone_polygon_invalid": "A zone polygon has (almost) no area.",
    "api_key_invalid": "Unknown or revoked integrator API key.",
    "scope_missing": "The API key lacks the scope this needs.",
    "alarm_type_unknown": "No violation type is mapped to that vendor alarm type.",
    "image_invalid": "The alarm's image is not a base64 JPEG of at most 8 MB.",
    "location_required": "The device is not registered: send the alarm's location.",
    "evidence_not_found": "No such evidence in the caller's jurisdiction.",
    "content_type_unsupported": "That content type cannot be uploaded as evidence.",
    "constraint_violation": "The change conflicts with existing data (a database rule).",
    "complaint_category_unknown": "No violation type for that hotline category: send a code.",
    "webhook_not_found": "No such webhook subscription of this API key.",
    "notification_not_found": "No such notification of the signed-in user.",
    "stream_cursor_invalid": "Last-Event-ID is not a cursor of this stream.",
    "wechat_token_refused": "WeChat refused the app's credentials for an access token.",
    "case_outside_squads": "The case lies outside every squad: no party notice or recheck.",
    "subject_duplicate": "A subject of that kind already has that credit code.",
    "subject_details_mismatch": "The details are not those of the subject's kind.",
    "credit_code_invalid": "Not a unified social credit code (GB 32100: 18 chars, check).",
    "register_format_unsupported": "A register import is a .csv or an .xlsx file.",
    "register_unreadable": "The register file could not be read.",
    "register_empty": "The register file has no header row.",
    "register_columns": "The register needs at least the 名称/name and 类型/kind columns.",
    "register_too_large": "Too many rows for one import.",
    "inspection_clean": "A clean inspection names no violation type.",
    "violation_type_required": "A failed inspection names the violation it found.",
    "structure_exists": "The case has registered its structure already.",
    "structure_not_found": "No such illegal structure.",
    "structure_state_invalid": "That step does not follow the structure's current state.",
    "deadline_invalid": "The demolition deadline must be a future time with an offset.",
    "area_exceeds_verified": "More area came down than was measured; verify again.",
    "block_not_found": "No such street block.",
    "block_polygon_invalid": "The block's polygon is not a simple area.",
    "spot_check_item_unknown": "Not an item of the block scoring policy.",
    "month_invalid": "A month is written YYYY-MM.",
    "outbox_row_not_dead": "No dead outbox row with that id.",
    "override_until_past": "A grade override must end in the future.",
    "register_rows_rejected": "Rows were rejected; nothing was imported (see rejected).",
    "sms_not_configured": "No SMS gateway is configured on this installation.",
    "sms_unreachable": "The SMS gateway did not answer.",
    "sms_unavailable": "The SMS gateway is busy or failing; the message is retried.",
    # duty (rosters, leave, roll calls)
    "week_invalid": "A week is written YYYY-Www (ISO week, e.g. 2026-W49) and must exist.",
    "cell_invalid": "cell is an H3 index (resolution 9 or 10).",
    "shift_ends_before_start": "A shift must end after it starts.",
    "shift_too_long": "A shift lasts at most 24 hours.",
    "shift_outside_week": "A shift must start inside the roster's week (Shanghai time).",
    "shift_overlap": "An officer would be on two overlapping shifts.",
    "shift_officer_invalid": "Shifts and leave are for active officers of the squad.",
    "shift_grid_invalid": "A shift's grid cells must be the squad's own.",
    "leave_ends_before_start": "Leave must end after it starts.",
    "leave_overlap": "The officer is already on leave for part of that time.",
    "leave_not_found": "No such leave in your jurisdiction.",
    "officer_not_found": "No such active officer in your jurisdiction.",
    "officer_not_on_shift": "Roll calls go to officers on shift.",
    "roll_call_not_found": "No such roll call for you.",
    "roll_call_answered": "The roll call was answered already.",
    "roll_call_photo_missing": "The answer names a photo not uploaded with the current grant.",
    "time_range_invalid": "`from` must be before `to`, and the range at most 31 days.",
    # patrol check-ins and equipment
    "checkin_point_not_found": "No such check-in point.",
    "checkin_point_inactive": "The check-in point is no longer in use.",
    "checkin_outside_radius": "The phone is outside the point's radius (`distance_m`, "
    "`radius_m` say by how much).",
    "checkin_too_soon": "The same officer checked in at this point less than 30 minutes ago.",
    "checkin_plan_invalid": "A plan is 0..24 check-ins a day on ISO weekdays 1..7.",
    "checkin_binding_invalid": "The subject or block to bind is not in the point's squad.",
    "checkin_period_invalid": "`from` must not be after `to`, at most 92 days apart.",
    "equipment_not_found": "No such item of equipment.",
    "equipment_code_taken": "An item with that code is registered already.",
    "equipment_inactive": "The item is out of service.",
    "equipment_holder_invalid": "Items go to active officers or leaders of the item's squad.",
    "equipment_assignment_overlap": "The span overlaps another assignment of the item.",
    "assignment_not_found": "No such assignment of this item.",
    "assignment_over": "The assignment is over already; it stays as the record.",
    "assignment_span_invalid": "An assignment ends after it starts, within 31 days.",
}

_ERROR_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["code", "detail"],
    properties={
        "code": Reference(ref="#/components/schemas/ErrorCode"),
        "detail": Schema(type=OpenAPIType.STRING, description="For people; may change."),
    },
    description="Every 4xx/5xx answer. Validation errors add `errors`; 429 adds "
    "`retry_after_s` (and the `Retry-After` header).",
)


def document_errors(document: OpenAPI) -> None:
    """Add the ``ErrorCode`` enum and an ``ErrorBody`` 4XX/5XX answer to every operation."""
    components = document.components
    assert isinstance(components, Components)
    components.schemas = dict(components.schemas or {})
    components.schemas["ErrorCode"] = Schema(
        type=OpenAPIType.STRING,
        enum=list(ERROR_CODES),
        description="\n".join(f"- `{code}`: {text}" for code, text in ERROR_CODES.items()),
    )
    components.schemas["ErrorBody"] = _ERROR_BODY
    answer = OpenAPIResponse(
        description="Refused: see `code` (ErrorCode lists them all).",
        content={
            "application/json": OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/ErrorBody")
            )
        },
    )
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Any = getattr(path_item, method, None)
            if operation is None:
                continue
            operation.responses = dict(operation.responses or {})
            operation.responses.pop("400", None)  # Litestar's own shape, replaced by ours
            operation.responses.setdefault("4XX", answer)
            operation.responses.setdefault("5XX", answer)
