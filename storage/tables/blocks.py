"""美丽街区: street blocks, supervisors' spot checks, and the monthly scores."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigSerial,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from storage.tables.org import Squad


class StreetBlock(Table, tablename="street_block"):
    """A street block (街区) under assessment: a polygon (WGS-84 [lng, lat] points)."""

    id = Serial(primary_key=True)
    name = Varchar(length=128)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=True, index=True)
    polygon = JSONB()
    min_lng = DoublePrecision()
    min_lat = DoublePrecision()
    max_lng = DoublePrecision()
    max_lat = DoublePrecision()
    created_at = Timestamptz(default=TimestamptzNow())


class BlockSpotCheck(Table, tablename="block_spot_check"):
    """What a supervisor's spot check (督察抽查) found wrong in a block."""

    id = BigSerial(primary_key=True)
    block = ForeignKey(references=StreetBlock, on_delete=OnDelete.cascade, null=False, index=True)
    at = Timestamptz()
    supervisor = Integer(null=True, default=None)
    item = Varchar(length=32)
    deduction = DoublePrecision()
    note = Text(default="")


class BlockScore(Table, tablename="block_score"):
    """A block's score for one month (recomputed until the month is over)."""

    id = BigSerial(primary_key=True)
    block = ForeignKey(references=StreetBlock, on_delete=OnDelete.cascade, null=False)
    month = Varchar(length=7, help_text="YYYY-MM (Shanghai)")
    score = DoublePrecision()
    cases = Integer()
    case_deduction = DoublePrecision()
    spot_check_deduction = DoublePrecision()
    by_type = JSONB()
    computed_at = Timestamptz()
