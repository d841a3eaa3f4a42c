"""``/integrator/v1``: the feed of case changes, a case, and webhook subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import IntegratorCaller, Rt
from api.integrators.auth import requires_scope
from api.schemas import CoordTypeQuery
from domain.cases.model import Outcome, Source, State
from domain.errors import NotFound
from domain.geo import CoordType, Location
from domain.integration import IntegratorScope
from domain.integration.feed import Topic
from domain.integration.privacy import mask_name, mask_phone
from domain.integration.signing import new_secret
from domain.integration.targets import check_target_url
from storage import feed, webhooks
from storage.cases import records
from storage.cases.views import TypeRef, detail
from storage.feed import FeedItem
from storage.tables import Case

AfterQuery = Annotated[
    int,
    QueryParameter(ge=0, description="`next_after` of the previous page; 0 from the start."),
]
FeedLimit = Annotated[int, QueryParameter(ge=1, le=1000)]


class FeedPage(msgspec.Struct, frozen=True):
    items: list[FeedItem]
    next_after: Annotated[int, msgspec.Meta(description="Send it back as `after`.")]
    has_more: Annotated[bool, msgspec.Meta(description="False: caught up; poll again later.")]


class ComplainantRead(msgspec.Struct, frozen=True):
    name: str
    phone: str


class IntegratorCase(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    source: Source
    external_id: str | None
    violation_type: TypeRef
    urgent: bool
    state: State
    state_label_zh: str
    outcome: Outcome | None
    squad_id: int | None
    location: Location | None
    address: str
    description: str
    overdue: bool
    next_due_at: datetime | None
    rectify_by: datetime | None
    evidence_count: int
    complainant: Annotated[
        ComplainantRead | None,
        msgspec.Meta(description="Masked unless the key has the personal_data:read scope."),
    ]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class WebhookCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://")]
    topics: Annotated[list[Topic], msgspec.Meta(min_length=1)]


class WebhookRead(msgspec.Struct, frozen=True):
    id: int
    url: str
    topics: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(msgspec.Struct, frozen=True):
    """``secret`` signs every delivery and is shown this once only."""

    secret: str
    webhook: WebhookRead


class WebhookList(msgspec.Struct, frozen=True):
    items: list[WebhookRead]


class FeedController(Controller):
    path = "/integrator/v1"
    tags = ["integrator"]
    security = [{"IntegratorKey": []}]

    @get(
        "/events",
        operation_id="list_case_events",
        guards=[requires_scope(IntegratorScope.events_read)],
    )
    async def events(self, after: AfterQuery = 0, limit: FeedLimit = 100) -> FeedPage:
        """Case changes after ``after``, oldest first. Positions only grow and a change
        never appears behind one already read: keep ``next_after`` and resume from it."""
        items = await feed.read(after, limit + 1)
        page = items[:limit]
        return FeedPage(page, page[-1].pos if page else after, len(items) > limit)

    @get(
        "/cases/{case_id:int}",
        operation_id="read_case_integrator",
        guards=[requires_scope(IntegratorScope.cases_read)],
    )
    async def case(
        self,
        caller: IntegratorCaller,
        case_id: FromPath[int],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> IntegratorCase:
        """One case as integrators see it, its location in ``coord_type``."""
        record = await records.get(case_id)
        if record is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        d = await detail(record, coord_type)
        row = (
            await Case.select(Case.complainant, Case.origin_key)
            .output(load_json=True)
            .where(Case.id == case_id)
        )
        person = row[0]["complainant"] if row else None
        # Only the system that sent the complaint in, and only with the scope, sees it whole.
        unmasked = (
            IntegratorScope.personal_data_read.value in caller.scopes
            and row[0]["origin_key"] == caller.key_id
        )
        return IntegratorCase(
            id=d.id,
            number=d.number,
            source=d.source,
            external_id=d.external_id,
            violation_type=d.violation_type,
            urgent=d.urgent,
            state=d.state,
            state_label_zh=d.state_label_zh,
            outcome=d.outcome,
            squad_id=d.squad_id,
            location=d.location,
            address=d.address,
            description=d.description,
            overdue=d.overdue,
            next_due_at=d.next_due_at,
            rectify_by=d.rectify_by,
            evidence_count=len(d.evidence),
            complainant=_complainant(person, unmasked) if person else None,
            created_at=d.created_at,
            updated_at=d.updated_at,
            closed_at=d.closed_at,
        )

    @post(
        "/webhooks",
        operation_id="create_webhook",
        status_code=HTTP_201_CREATED,
        guards=[
            requires_scope(IntegratorScope.webhooks_manage),
            requires_scope(IntegratorScope.events_read),
        ],
    )
    async def subscribe(
        self, rt: Rt, caller: IntegratorCaller, data: JSONBody[WebhookCreate]
    ) -> WebhookCreated:
        """Subscribe a URL to feed topics (the key needs ``events:read`` too: a webhook
        is the feed, pushed). Each delivery is a POST of one feed item (with
        ``pos`` and ``topic``) signed ``X-Offsite-Signature: t=<unix>,v1=<hex>``, where hex
        = HMAC-SHA256(secret, "<t>." + raw body); reject a ``t`` more than 300 s from your
        clock. ``X-Offsite-Delivery`` (also ``Idempotency-Key``) is the same on every retry
        of one delivery; retries back off from 2 s to an hour, ten tries in all."""
        url = check_target_url(data.url, allow_private=rt.settings.private_targets_allowed)
        secret = new_secret()
        created = await webhooks.subscribe(
            caller.key_id,
            url,
            sorted({t.value for t in data.topics}),
            secret,
            datetime.now(UTC),
        )
        return WebhookCreated(secret, _webhook(created))

    @get(
        "/webhooks",
        operation_id="list_webhooks",
        guards=[requires_scope(IntegratorScope.webhooks_manage)],
    )
    async def subscriptions(self, caller: IntegratorCaller) -> WebhookList:
        return WebhookList([_webhook(s) for s in await webhooks.of_key(caller.key_id)])

    @delete(
        "/webhooks/{webhook_id:int}",
        operation_id="delete_webhook",
        status_code=HTTP_200_OK,
        guards=[requires_scope(IntegratorScope.webhooks_manage)],
    )
    async def unsubscribe(self, caller: IntegratorCaller, webhook_id: FromPath[int]) -> WebhookList:
        """Stop a subscription at once (deliveries not yet made are dropped); the
        remaining subscriptions are returned."""
        await webhooks.unsubscribe(caller.key_id, webhook_id, datetime.now(UTC))
        return WebhookList([_webhook(s) for s in await webhooks.of_key(caller.key_id)])


def _webhook(s: webhooks.Subscription) -> WebhookRead:
    return WebhookRead(s.id, s.url, s.topics, s.active, s.created_at)


def _complainant(person: dict[str, str], unmasked: bool) -> ComplainantRead:
    name, phone = person.get("name", ""), person.get("phone", "")
    if unmasked:
        return ComplainantRead(name, phone)
    return ComplainantRead(mask_name(name), mask_phone(phone) if phone else "")
