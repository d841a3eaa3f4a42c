"""``/api/v1/subjects``: the registry of supervised subjects (监管对象).

Everyone on staff reads it (officers call the registered contact); squad leaders, the
command centre and admins write it and import the bureau's registers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import Caller, Rt
from api.schemas import CursorQuery, LimitQuery, NearQuery, decode_cursor, next_cursor
from api.security import check_jurisdiction, requires_role
from domain.errors import InvalidInput, NotFound
from domain.geo import CoordType, Location
from domain.org import Role
from domain.subjects.grading import Grade
from domain.subjects.model import Details, SubjectInput, SubjectKind
from domain.subjects.registers import (
    EXPORT_COLUMNS,
    RowError,
    export_row,
    parse_rows,
)
from domain.subjects.spreadsheets import XLSX_TYPE, Format, format_of, read_table, write_table
from storage import subjects
from storage.subjects import SubjectHistory, SubjectRecord

writers = requires_role(Role.squad_leader, Role.commander, Role.admin)


class SubjectRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: SubjectKind
    kind_label_zh: str
    name: str
    address: str
    location: Location
    squad_id: int | None
    grid_id: int | None
    credit_code: str | None
    contact_name: str | None
    contact_phone: str | None
    details: Details
    grade: Annotated[Grade, msgspec.Meta(description="分类分级 in force, A (low) … D (high risk).")]
    distance_m: float | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: SubjectRecord) -> SubjectRead:
        return cls(
            id=r.id,
            kind=r.kind,
            kind_label_zh=r.kind.label_zh,
            name=r.name,
            address=r.address,
            location=Location(r.lng, r.lat),
            squad_id=r.squad_id,
            grid_id=r.grid_id,
            credit_code=r.credit_code,
            contact_name=r.contact_name,
            contact_phone=r.contact_phone,
            details=r.details,
            grade=r.grade,
            distance_m=round(r.distance_m, 1) if r.distance_m is not None else None,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class SubjectPage(msgspec.Struct, frozen=True):
    items: list[SubjectRead]
    next_cursor: str | None


class SubjectView(msgspec.Struct, frozen=True):
    """A subject's page: the subject, and its cases and violations."""

    subject: SubjectRead
    history: SubjectHistory


class SubjectPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``details`` are replaced as a whole."""

    kind: SubjectKind | msgspec.UnsetType = msgspec.UNSET
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    address: Annotated[str, msgspec.Meta(max_length=256)] | msgspec.UnsetType = msgspec.UNSET
    location: Location | msgspec.UnsetType = msgspec.UNSET
    credit_code: str | msgspec.UnsetType | None = msgspec.UNSET
    contact_name: str | msgspec.UnsetType = msgspec.UNSET
    contact_phone: str | msgspec.UnsetType = msgspec.UNSET
    details: Details | msgspec.UnsetType = msgspec.UNSET


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    dry_run: bool
    rows: Annotated[int, msgspec.Meta(description="Rows read (blank lines skipped).")]
    valid: int
    rejected: list[RowError]
    created: int = 0
    updated: int = 0


class SubjectController(Controller):
    path = "/api/v1/subjects"
    tags = ["subjects"]

    @get("/", operation_id="search_subjects")
    async def search(
        self,
        principal: Caller,
        kind: FromQuery[SubjectKind | None] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=64, description="Name, shop sign or code.")
        ] = None,
        near: NearQuery = None,
        coord_type: FromQuery[CoordType] = CoordType.wgs84,
        radius_m: Annotated[float, QueryParameter(gt=0, le=20_000)] = 500.0,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
    ) -> SubjectPage:
        """Find subjects by kind, text and position."""
        point = None
        if near:
            point = Location.parse_pair(near, coord_type).to_wgs84()
        found = await subjects.search(
            principal.scope,
            kind=kind,
            text=q,
            near=point,
            radius_m=radius_m,
            after_id=decode_cursor(cursor),
            limit=limit,
        )
        items = [SubjectRead.of(r) for r in found]
        more = next_cursor([r.id for r in found], limit) if point is None else None
        return SubjectPage(items, more)

    @post("/", operation_id="create_subject", status_code=HTTP_201_CREATED, guards=[writers])
    async def create(self, rt: Rt, principal: Caller, data: JSONBody[SubjectInput]) -> SubjectRead:
        """Squad leaders register subjects inside their own squad."""
        placed = await rt.geo.place(data.location.to_wgs84())
        check_jurisdiction(principal, placed.squad.id if placed.squad else None)
        return SubjectRead.of(await subjects.create(rt.geo, data, datetime.now(UTC)))

    @get("/{subject_id:int}", operation_id="read_subject")
    async def read(self, principal: Caller, subject_id: FromPath[int]) -> SubjectView:
        """The subject with its cases (open, by violation type, the latest)."""
        record = await _get(subject_id)
        history = await subjects.history(subject_id, principal.scope)
        return SubjectView(SubjectRead.of(record), history)

    @patch("/{subject_id:int}", operation_id="update_subject", guards=[writers])
    async def update(
        self, rt: Rt, principal: Caller, subject_id: FromPath[int], data: JSONBody[SubjectPatch]
    ) -> SubjectRead:
        """Squad leaders edit the subjects of their own squad."""
        current = await _get(subject_id)
        merged = _merge(current, data)
        placed = await rt.geo.place(merged.location.to_wgs84())  # nor move it out of it
        check_jurisdiction(principal, placed.squad.id if placed.squad else None)
        return SubjectRead.of(await subjects.update(rt.geo, subject_id, merged, datetime.now(UTC)))

    @post(
        "/import",
        operation_id="import_subjects",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.commander, Role.admin)],
        request_max_body_size=20 * 1024 * 1024,
    )
    async def import_register(
        self,
        rt: Rt,
        request: Request[Any, Any, Any],
        dry_run: FromQuery[bool] = True,
        filename: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> ImportReport:
        """Import a register: the request body is the file itself (``text/csv`` or
        ``.xlsx``), one subject per row, columns by their Chinese or English header
        (名称/name, 类型/kind, 地址, 经度, 纬度, 坐标系, 统一社会信用代码, 联系人, 联系电话, and
        the kind's own: 店招, 经营类别, 营业时间, 施工许可证号, 施工单位, 开工日期, 竣工日期,
        场所类型, 许可证号, 面积, 层数, 结构, 建成时间, 产权人). A row with a 编号 (as the
        export writes it) updates that subject; otherwise a row whose kind and credit code
        are known updates that subject. ``dry_run`` (the default) only reports; a real
        import with any rejected row imports nothing (``register_rows_rejected``)."""
        fmt = format_of(request.headers.get("content-type", ""), filename)
        parsed = parse_rows(read_table(await request.body(), fmt))
        parsed = parsed.without_unknown(await subjects.unknown_ids(parsed.named_ids()))
        rows = len(parsed.rows) + len({e.row for e in parsed.errors})
        report = ImportReport(
            dry_run=dry_run, rows=rows, valid=len(parsed.rows), rejected=parsed.errors
        )
        if dry_run:
            return report
        if parsed.errors:
            raise InvalidInput(
                "register_rows_rejected",
                f"{len({e.row for e in parsed.errors})} rows rejected: nothing imported",
                rejected=msgspec.to_builtins(parsed.errors),
            )
        counts = await subjects.import_rows(rt.geo, parsed.rows, datetime.now(UTC))
        return msgspec.structs.replace(report, created=counts.created, updated=counts.updated)

    @get("/export", operation_id="export_subjects", guards=[writers])
    async def export(
        self,
        principal: Caller,
        kind: FromQuery[SubjectKind | None] = None,
        format: FromQuery[Format] = Format.xlsx,
    ) -> Response[bytes]:
        """Every subject (of a kind) as a register file, in the columns import reads;
        squad leaders get their own squad's."""
        header, rows = _register(await subjects.export_rows(kind, principal.scope))
        media = XLSX_TYPE if format is Format.xlsx else "text/csv; charset=utf-8"
        return Response(
            write_table(header, rows, format),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="subjects.{format.value}"'},
        )


async def _get(subject_id: int) -> SubjectRecord:
    record = await subjects.get(subject_id)
    if record is None:
        raise NotFound("subject_not_found", f"no subject {subject_id}")
    return record


def _merge(current: SubjectRecord, patch: SubjectPatch) -> SubjectInput:
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    kind = changes.get("kind", current.kind)
    details = changes.get("details", current.details if kind == current.kind else None)
    return SubjectInput(
        kind=kind,
        name=changes.get("name", current.name),
        address=changes.get("address", current.address),
        location=changes.get("location", Location(current.lng, current.lat)),
        credit_code=changes.get("credit_code", current.credit_code),
        contact_name=changes.get("contact_name", current.contact_name or ""),
        contact_phone=changes.get("contact_phone", current.contact_phone or ""),
        details=details,
    )


def _register(records: list[SubjectRecord]) -> tuple[list[str], list[list[object]]]:
    header = [h for h, _ in EXPORT_COLUMNS]
    rows = [
        export_row({**msgspec.to_builtins(r.details), **msgspec.structs.asdict(r)}) for r in records
    ]
    return header, rows
