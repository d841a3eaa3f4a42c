"""``/api/v1/subjects/{id}/grade…``: a subject's grade (分类分级), recomputed on demand,
overridden by hand with a reason and an expiry, and its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.deps import Caller, Rt
from api.security import requires_role
from domain.errors import InvalidInput
from domain.moments import AwareDatetime
from domain.org import Role
from domain.subjects.grading import Grade
from storage import grading
from storage.cases.catalogue import severities
from storage.grading import GradeEntry, GradeState

graders = requires_role(Role.commander, Role.supervisor, Role.admin)


class GradeOverride(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    grade: Grade
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]
    until: Annotated[AwareDatetime, msgspec.Meta(description="When the computed grade returns.")]


class GradeHistory(msgspec.Struct, frozen=True):
    items: list[GradeEntry]


class GradeController(Controller):
    path = "/api/v1/subjects/{subject_id:int}"
    tags = ["subjects"]

    @get("/grade", operation_id="read_subject_grade")
    async def read(self, subject_id: FromPath[int]) -> GradeState:
        """The grade in force, the computed one and its points, any override."""
        return await grading.state(subject_id)

    @post(
        "/grade",
        operation_id="regrade_subject",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.squad_leader, Role.commander, Role.supervisor, Role.admin)],
    )
    async def regrade(self, rt: Rt, subject_id: FromPath[int]) -> GradeState:
        """Recompute the grade now (the nightly job does it for everyone)."""
        return await grading.grade_one(
            subject_id, rt.grading_policy, await severities(), datetime.now(UTC)
        )

    @put("/grade-override", operation_id="override_subject_grade", guards=[graders])
    async def override(
        self, rt: Rt, principal: Caller, subject_id: FromPath[int], data: JSONBody[GradeOverride]
    ) -> GradeState:
        """Hold the subject at a grade until ``until``, for a reason (kept in history)."""
        now = datetime.now(UTC)
        if data.until.tzinfo is None:
            raise InvalidInput("datetime_without_offset", "times need an offset, e.g. +08:00")
        if data.until <= now:
            raise InvalidInput("override_until_past", "an override must end in the future")
        return await grading.set_override(
            subject_id,
            data.grade,
            data.reason,
            data.until,
            principal.user_id,
            now,
            rt.grading_policy,
        )

    @delete(
        "/grade-override",
        operation_id="end_subject_grade_override",
        status_code=HTTP_200_OK,
        guards=[graders],
    )
    async def end_override(self, principal: Caller, subject_id: FromPath[int]) -> GradeState:
        return await grading.clear_override(subject_id, principal.user_id, datetime.now(UTC))

    @get("/grades", operation_id="list_subject_grades")
    async def history(self, subject_id: FromPath[int]) -> GradeHistory:
        """Every change of the subject's grade, newest first."""
        await grading.state(subject_id)  # 404 for an unknown subject
        return GradeHistory(await grading.history(subject_id))
