"""``/api/v1/blocks``: 美丽街区 — street blocks, supervisors' spot checks, monthly scores,
rankings of blocks and squads, and each block's score history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.deps import Caller, Rt
from api.schemas import SquadQuery
from api.security import admin_only, requires_role
from domain.errors import NotFound
from domain.geo import Location
from domain.org import Role
from storage import blocks
from storage.blocks import BlockRecord, MonthScore, Ranked

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MonthQuery = Annotated[str, QueryParameter(pattern=MONTH_PATTERN, description="YYYY-MM")]
MonthPath = Annotated[str, PathParameter(pattern=MONTH_PATTERN, description="YYYY-MM")]


class BlockCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    polygon: Annotated[list[Location], msgspec.Meta(min_length=3, max_length=500)]
    squad_id: int | None = None  # default: the squad where the block lies


class BlockList(msgspec.Struct, frozen=True):
    items: list[BlockRecord]


class SpotCheckIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=32, examples=["道路保洁"])]
    deduction: Annotated[float, msgspec.Meta(ge=0, le=100)]
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class ScoreList(msgspec.Struct, frozen=True):
    items: list[MonthScore]


class Ranking(msgspec.Struct, frozen=True):
    month: str
    blocks: list[Ranked]
    squads: list[Ranked]


class BlockController(Controller):
    path = "/api/v1/blocks"
    tags = ["美丽街区"]

    @post("/", operation_id="create_block", status_code=HTTP_201_CREATED, guards=[admin_only])
    async def create(self, rt: Rt, data: JSONBody[BlockCreate]) -> BlockRecord:
        return await blocks.create(
            rt.geo, data.name, [p.to_wgs84() for p in data.polygon], data.squad_id
        )

    @get("/", operation_id="list_blocks")
    async def listing(self, principal: Caller, squad_id: SquadQuery = None) -> BlockList:
        """Street blocks in the caller's jurisdiction."""
        return BlockList(await blocks.listing(principal.scope.narrowed(squad_id)))

    @post(
        "/{block_id:int}/spot-checks",
        operation_id="record_spot_check",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_role(Role.supervisor, Role.admin)],
    )
    async def spot_check(
        self, rt: Rt, principal: Caller, block_id: FromPath[int], data: JSONBody[SpotCheckIn]
    ) -> None:
        """A supervisor's spot check (督察抽查): what was wrong, and how much it costs the
        block this month (at most the item's limit in the scoring policy)."""
        await blocks.spot_check(
            rt.block_policy,
            block_id,
            data.item,
            data.deduction,
            data.note,
            principal.user_id,
            datetime.now(UTC),
        )

    @post(
        "/scores/{month:str}",
        operation_id="compute_block_scores",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.commander, Role.supervisor, Role.admin)],
    )
    async def compute(self, rt: Rt, month: MonthPath) -> ScoreList:
        """Score every block for the month now (the worker does it every night)."""
        return ScoreList(await blocks.compute_month(rt.block_policy, month, datetime.now(UTC)))

    @get("/ranking", operation_id="block_ranking")
    async def ranking(self, principal: Caller, month: MonthQuery) -> Ranking:
        """Blocks by score, and squads by the mean score of their blocks; squad roles see
        their own blocks and squad, with their places in the district's ranking."""
        blocks_ranked, squads = await blocks.ranking(month, principal.scope)
        return Ranking(month, blocks_ranked, squads)

    @get("/{block_id:int}/scores", operation_id="list_block_scores")
    async def history(self, block_id: FromPath[int]) -> ScoreList:
        """The block's monthly scores, newest first."""
        if await blocks.get(block_id) is None:
            raise NotFound("block_not_found", f"no street block {block_id}")
        return ScoreList(await blocks.history(block_id))
