"""The monthly report (月度考评): an .xlsx per month, for the district (all squads) and for
each squad, kept in the object store under ``reports/monthly/YYYY-MM/<district|squad-N>.xlsx``
(the store's listing is the register: last-modified is ``generated_at``, size ``bytes``).

The figures are the dashboard's own (``storage.cases.dashboard``, ``figures``,
``programmes``): the same functions, so the workbook and the API agree."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from openpyxl import Workbook

from domain.assessment import SCORE_WEIGHTS
from storage.cases.dashboard import breakdown, ranking
from storage.cases.figures import precision
from storage.objects import ObjectStore
from storage.programmes import programme_figures
from storage.tables import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREFIX = "reports/monthly/"
NOT_ASSESSED = "不参评"  # the rank of a squad with nothing to assess that month


class ReportEntry(msgspec.Struct, frozen=True):
    month: str
    squad_id: int | None
    generated_at: datetime
    bytes: int


def key_of(month: str, squad_id: int | None) -> str:
    name = "district" if squad_id is None else f"squad-{squad_id}"
    return f"{PREFIX}{month}/{name}.xlsx"


def bounds(month: str) -> tuple[datetime, datetime, datetime]:
    year, mon = map(int, month.split("-"))
    start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    end = (start + timedelta(days=32)).replace(day=1)
    prev = (start - timedelta(days=1)).replace(day=1)
    return start, end, prev


INDICATOR_COLUMNS = (
    ("cases", "受理案件"),
    ("closed", "结案"),
    ("closed_on_time", "按期结案"),
    ("reviewed", "复核"),
    ("reworked", "返工"),
    ("extended", "延期"),
    ("overdue", "超期"),
    ("closure_rate", "结案率"),
    ("on_time_closure_rate", "按期结案率"),
    ("rework_rate", "返工率"),
    ("extension_rate", "延期率"),
)


async def notable_cases(
    start: datetime, end: datetime, squad_id: int | None
) -> list[dict[str, Any]]:
    """The month's notable cases: overdue, reworked, emergencies, and the longest open."""
    where = "c.created_at >= {} AND c.created_at < {}"
    args: list[object] = [start, end]
    if squad_id is not None:
        where += " AND c.squad = {}"
        args.append(squad_id)
    rows: list[dict[str, Any]] = await Case.raw(
        f"""SELECT c.number, c.squad AS squad_id, c.violation_type, c.state, c.created_at,
                   c.closed_at, c.ever_overdue, c.rework_count, c.emergency,
                   CASE WHEN c.emergency THEN '突发事件'
                        WHEN c.ever_overdue THEN '超期'
                        WHEN c.rework_count > 0 THEN '返工'
                        ELSE '长期未结' END AS reason
              FROM enforcement_case c
             WHERE {where} AND (c.emergency OR c.ever_overdue OR c.rework_count > 0
                                OR c.state NOT IN ('closed', 'dismissed'))
             ORDER BY c.emergency DESC, c.ever_overdue DESC, c.rework_count DESC,
                      c.created_at
             LIMIT 200""",
        *args,
    )
    return rows


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    if isinstance(value, (list, dict, tuple)):
        return msgspec.json.encode(value).decode()
    return value


async def build(month: str, squad_id: int | None, now: datetime) -> bytes:
    """The workbook for ``month`` (district when ``squad_id`` is None)."""
    start, end, prev = bounds(month)
    ranked = await ranking(start, end, prev, squad_id=squad_id)
    cases = await breakdown(start, end, squad_id=squad_id)
    alerts = await precision(start, end, squad_id=squad_id)
    programmes = [
        p for p in (await programme_figures(month))[1] if squad_id is None or p.squad_id == squad_id
    ]
    notable = await notable_cases(start, end, squad_id)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "说明"
    ws.append(["月份", month])
    ws.append(["范围", "全区" if squad_id is None else f"中队 {squad_id}"])
    ws.append(["生成时间", _cell(now)])
    ws.append(
        [
            "考评得分",
            "按期结案率×40 + 结案率×30 + (1-返工率)×20 + (1-延期率)×10；无数据的指标计一半分；"
            "四项均无数据（当月无受理案件、无审核）的中队不参评",
        ]
    )
    for name, weight, inverted in SCORE_WEIGHTS:
        ws.append([name, weight, "1 - 比率" if inverted else "比率"])

    ws = wb.create_sheet("考评指标")
    ws.append(["排名", "中队ID", "中队", "得分", "上月排名", *(t for _, t in INDICATOR_COLUMNS)])
    for r in ranked:
        ws.append(
            [
                NOT_ASSESSED if r.rank is None else r.rank,
                r.squad_id,
                r.squad_name,
                r.score,
                r.previous_rank,
                *(getattr(r.indicators, k) for k, _ in INDICATOR_COLUMNS),
            ]
        )

    ws = wb.create_sheet("案件构成")
    ws.append(["来源", "案件数"])
    for s in cases.by_source:
        ws.append([s.source, s.cases])
    ws.append([])
    ws.append(["违法类型", "名称", "案件数"])
    for t in cases.by_type:
        ws.append([t.violation_type, t.name_zh, t.cases])
    ws.append([])
    ws.append(["合计", cases.total])

    ws = wb.create_sheet("摄像头准确率")
    ws.append(["摄像头ID", "区域", "违法类型", "告警", "误报", "待研判", "准确率"])
    for p in alerts:
        ws.append(
            [
                p.camera_id,
                p.zone_key,
                p.violation_type,
                p.alerts,
                p.false_positives,
                p.undecided,
                p.precision,
            ]
        )

    ws = wb.create_sheet("三大专项")
    header: list[str] = []
    for f in programmes:
        row = msgspec.to_builtins(f)
        if not header:
            header = list(row)
            ws.append(header)
        ws.append([_cell(row[k]) for k in header])

    ws = wb.create_sheet("重点案件")
    ws.append(["案件编号", "中队ID", "违法类型", "状态", "立案时间", "结案时间", "原因"])
    for c in notable:
        ws.append(
            [
                c["number"],
                c["squad_id"],
                c["violation_type"],
                c["state"],
                _cell(c["created_at"]),
                _cell(c["closed_at"]),
                c["reason"],
            ]
        )

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def generate(objects: ObjectStore, month: str, squad_id: int | None) -> ReportEntry:
    """Build the workbook and store it (replacing an earlier one)."""
    now = datetime.now(SHANGHAI)
    data = await build(month, squad_id, now)
    await asyncio.to_thread(objects.put_bytes, key_of(month, squad_id), data, XLSX)
    return ReportEntry(month, squad_id, now, len(data))


async def fetch(objects: ObjectStore, month: str, squad_id: int | None) -> bytes | None:
    def read() -> bytes | None:
        try:
            return b"".join(objects.stream(key_of(month, squad_id)))
        except Exception:  # noqa: BLE001 - the store says "no such key" as an S3Error
            return None

    return await asyncio.to_thread(read)


async def listing(objects: ObjectStore, year: int, squad_id: int | None) -> list[ReportEntry]:
    """The reports generated for ``year``; ``squad_id`` keeps that squad's only."""

    def read() -> list[ReportEntry]:
        items = []
        for o in objects.client.list_objects(
            objects.bucket, prefix=f"{PREFIX}{year:04d}-", recursive=True
        ):
            name = str(o.object_name)
            month, file = name[len(PREFIX) :].split("/", 1)
            owner = None if file == "district.xlsx" else int(file[6:-5])
            if squad_id is not None and owner != squad_id:
                continue
            assert o.last_modified is not None
            items.append(ReportEntry(month, owner, o.last_modified, int(o.size or 0)))
        return sorted(items, key=lambda e: (e.month, e.squad_id or 0))

    return await asyncio.to_thread(read)


async def generate_month(objects: ObjectStore, month: str) -> list[ReportEntry]:
    """The district's workbook and each squad's."""
    squads = [r["id"] for r in await Case.raw("SELECT id FROM squad ORDER BY id")]
    return [await generate(objects, month, s) for s in (None, *squads)]
