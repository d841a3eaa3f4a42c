"""``/api/v1/cameras``: the registry (admins write; everyone reads their jurisdiction)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import Caller, Rt
from api.schemas import CursorQuery, LimitQuery, decode_cursor, next_cursor
from api.security import admin_only
from domain.cameras import SourceAuth, SourceKind, ZoneSpec
from domain.geo import Location
from storage import cameras
from storage.cameras import CameraRecord

Window = tuple[
    Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$")],
    Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$")],
]


class SourceWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where frames come from. Credentials are stored and never returned."""

    kind: SourceKind
    url: Annotated[str, msgspec.Meta(max_length=512)]
    auth: SourceAuth = SourceAuth.none
    username: Annotated[str, msgspec.Meta(max_length=128)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""


class CameraWrite(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    location: Location
    source: SourceWrite
    published_location: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    legal_review_date: date | None = None
    technical_review_date: date | None = None
    sample_interval_s: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 10
    active_schedule: list[Window] = []
    enabled: bool = True


class CameraPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields sent change."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    location: Location | msgspec.UnsetType = msgspec.UNSET
    source: SourceWrite | msgspec.UnsetType = msgspec.UNSET
    published_location: str | msgspec.UnsetType | None = msgspec.UNSET
    legal_review_date: date | msgspec.UnsetType | None = msgspec.UNSET
    technical_review_date: date | msgspec.UnsetType | None = msgspec.UNSET
    sample_interval_s: Annotated[int, msgspec.Meta(ge=1, le=3600)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    active_schedule: list[Window] | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class SourceRead(msgspec.Struct, frozen=True):
    kind: SourceKind
    url: str
    auth: SourceAuth
    has_credentials: bool


class HealthRead(msgspec.Struct, frozen=True):
    status: str
    last_frame_at: datetime | None
    consecutive_failures: int
    last_error: str | None


class CameraRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    device_id: str
    name: str
    location: Location
    squad_id: int | None
    grid_id: int | None
    published_location: str | None
    legal_review_date: date | None
    technical_review_date: date | None
    legal_ready: bool  # published location and both reviews: its frames may be evidence
    enabled: bool
    source: SourceRead
    sample_interval_s: int
    active_schedule: list[tuple[str, str]]
    health: HealthRead
    zones: list[ZoneSpec]

    @classmethod
    def of(cls, c: CameraRecord) -> CameraRead:
        return cls(
            id=c.id,
            device_id=c.device_id,
            name=c.name,
            location=Location.from_wgs84(c.lng, c.lat),
            squad_id=c.squad_id,
            grid_id=c.grid_id,
            published_location=c.published_location,
            legal_review_date=c.legal_review_date,
            technical_review_date=c.technical_review_date,
            legal_ready=bool(
                c.published_location and c.legal_review_date and c.technical_review_date
            ),
            enabled=c.enabled,
            source=SourceRead(c.source_kind, c.source_url, c.source_auth, c.has_credentials),
            sample_interval_s=c.sample_interval_s,
            active_schedule=c.active_schedule,
            health=HealthRead(c.health, c.last_frame_at, c.consecutive_failures, c.last_error),
            zones=c.zones,
        )


class CameraPage(msgspec.Struct, frozen=True):
    items: list[CameraRead]
    next_cursor: str | None


def _columns(data: CameraWrite | CameraPatch) -> dict[str, Any]:
    """Table columns from a request (location is placed separately)."""
    fields = {
        k: v
        for k, v in msgspec.structs.asdict(data).items()
        if v is not msgspec.UNSET and k not in ("location", "source")
    }
    if "active_schedule" in fields:
        fields["active_schedule"] = msgspec.json.encode(fields["active_schedule"]).decode()
    source = data.source
    if isinstance(source, SourceWrite):
        fields |= {
            "source_kind": source.kind.value,
            "source_url": source.url,
            "source_auth": source.auth.value,
            "source_username": source.username,
            "source_password": source.password,
        }
    return fields


class CameraController(Controller):
    path = "/api/v1/cameras"
    tags = ["cameras"]

    @get("/", operation_id="list_cameras")
    async def list_cameras(
        self, principal: Caller, limit: LimitQuery = 100, cursor: CursorQuery = None
    ) -> CameraPage:
        """Cameras in the caller's jurisdiction, with health and zones."""
        found = await cameras.list_cameras(principal.scope, decode_cursor(cursor), limit)
        return CameraPage(
            [CameraRead.of(c) for c in found], next_cursor([c.id for c in found], limit)
        )

    @post("/", operation_id="create_camera", status_code=HTTP_201_CREATED, guards=[admin_only])
    async def create(self, rt: Rt, principal: Caller, data: JSONBody[CameraWrite]) -> CameraRead:
        """Register a camera; its squad and grid cell follow from its location."""
        camera_id = await cameras.save(
            _columns(data),
            camera_id=None,
            position=data.location.to_wgs84(),
            geo=rt.geo,
            now=datetime.now(UTC),
        )
        return CameraRead.of(await cameras.get(camera_id, principal.scope))

    @get("/{camera_id:int}", operation_id="get_camera")
    async def get_camera(self, principal: Caller, camera_id: FromPath[int]) -> CameraRead:
        return CameraRead.of(await cameras.get(camera_id, principal.scope))

    @patch("/{camera_id:int}", operation_id="update_camera", guards=[admin_only])
    async def update(
        self, rt: Rt, principal: Caller, camera_id: FromPath[int], data: JSONBody[CameraPatch]
    ) -> CameraRead:
        location = data.location if isinstance(data.location, Location) else None
        await cameras.save(
            _columns(data),
            camera_id=camera_id,
            position=location.to_wgs84() if location else None,
            geo=rt.geo,
            now=datetime.now(UTC),
        )
        return CameraRead.of(await cameras.get(camera_id, principal.scope))

    @delete(
        "/{camera_id:int}",
        operation_id="delete_camera",
        status_code=HTTP_200_OK,
        guards=[admin_only],
    )
    async def remove(self, camera_id: FromPath[int]) -> None:
        """Remove a camera no case refers to (disable one that has evidence instead)."""
        await cameras.delete(camera_id)

    @put("/{camera_id:int}/zones", operation_id="put_camera_zones", guards=[admin_only])
    async def zones(
        self, principal: Caller, camera_id: FromPath[int], data: JSONBody[list[ZoneSpec]]
    ) -> CameraRead:
        """Replace the camera's zones (normalised polygons, their rules, their party)."""
        await cameras.replace_zones(camera_id, data, datetime.now(UTC))
        return CameraRead.of(await cameras.get(camera_id, principal.scope))
