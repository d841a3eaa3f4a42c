"""The clients a process shares: database pool, Redis, object storage, outside systems.

The API's lifespan and the worker's start-up both build one ``Runtime`` with
``open_runtime`` so a use case gets the same services wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import httpx
from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from domain.blocks.scoring import BlockPolicy
from domain.blocks.scoring import load_policy as load_block_policy
from domain.sla.calendar import WorkCalendar
from domain.subjects.grading import Grade, GradingPolicy, load_policy
from integrations.camera_http import open_camera_session
from integrations.outbound import open_outbound_session
from integrations.wechat import WechatClient
from offsite.settings import Settings
from storage import db, sealing
from storage.cases.changes import ReadCache
from storage.cases.commands import Deps
from storage.ended_sessions import EndedSessions
from storage.geography import GeoIndex
from storage.objects import ObjectStore


@dataclass(slots=True)
class Runtime:
    settings: Settings
    redis: Redis
    objects: ObjectStore
    http: httpx.AsyncClient
    cameras: aiohttp.ClientSession  # snapshots from cameras (the private video network)
    outbound: aiohttp.ClientSession  # integrator-given URLs: webhooks, callbacks, pictures
    wechat: WechatClient
    geo: GeoIndex
    calendar: WorkCalendar
    owns_pool: bool
    lists: ReadCache | None
    queue: ArqRedis
    # Sign-ins ended lately; API processes keep it current (``EndedSessions.listen``).
    ended_sessions: EndedSessions

    @property
    def cases(self) -> Deps:
        """What the case use cases need besides the database."""
        policy = self.grading_policy
        return Deps(
            self.calendar,
            self.geo,
            notify_parties=bool(self.settings.sms.gateway_url),
            urgent_grades=frozenset(g.value for g in Grade if g.rank >= policy.urgent_from.rank),
        )

    @property
    def block_policy(self) -> BlockPolicy:
        """The 美丽街区 scoring in force (read once per process)."""
        return load_block_policy(self.settings.subjects.block_policy)

    @property
    def grading_policy(self) -> GradingPolicy:
        """The grading standard in force (read once per process)."""
        return load_policy(self.settings.subjects.grading_policy)

    async def close(self) -> None:
        await self.queue.aclose()
        await self.http.aclose()
        await self.cameras.close()
        await self.outbound.close()
        await self.redis.aclose()
        if self.owns_pool:
            await db.close_pool()


async def open_runtime(settings: Settings) -> Runtime:
    """Open the pool and the clients; the caller closes them with ``Runtime.close``."""
    # Before anything can read a credential.
    sealing.configure(settings.auth.data_key, settings.auth.data_keys_retired)
    owns_pool = await db.open_pool(settings.database.pool_min, settings.database.pool_max)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False)
    queue = await create_pool(
        RedisSettings.from_dsn(settings.redis.url), default_queue_name=settings.redis.queue_name
    )
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    return Runtime(
        settings=settings,
        redis=redis,
        objects=ObjectStore(settings.s3),
        http=http,
        cameras=open_camera_session(),
        outbound=open_outbound_session(settings.private_targets_allowed),
        wechat=WechatClient(settings.wechat, http, redis),
        geo=GeoIndex(),
        calendar=WorkCalendar.load(),
        owns_pool=owns_pool,
        queue=queue,
        lists=ReadCache(settings.http.list_cache_ttl_s)
        if settings.http.list_cache_ttl_s > 0
        else None,
        # An ended session matters while its last access token may still be valid.
        ended_sessions=EndedSessions(settings.auth.access_ttl_s + settings.auth.clock_skew_s + 60),
    )
