"""Finishing touches on the OpenAPI document that handler signatures cannot express, so
that an integrator (or schemathesis) reading only the document calls the API right:
error answers, the operations that need no sign-in, file bodies and answers, and stable
component names."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from api.error_codes import document_errors
from domain.subjects.spreadsheets import XLSX_TYPE

_BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
_TEXT = Schema(type=OpenAPIType.STRING)

# Operations whose body is a file, not JSON: their content types and how to read them.
FILE_BODIES: dict[str, dict[str, Schema]] = {
    "import_subjects": {"text/csv": _TEXT, XLSX_TYPE: _BINARY},
}
# Operations that answer a file.
FILE_ANSWERS: dict[str, dict[str, Schema]] = {
    "export_subjects": {XLSX_TYPE: _BINARY, "text/csv": _TEXT},
    "get_case_package": {"application/zip": _BINARY},
}
# Component names Litestar qualifies with their module when two classes share a name.
RENAMED = {
    "domain_evidence_rules_Status": "EvidenceStatus",
    "storage_outbox_Status": "OutboxStatus",
}


def finish_document(app: Litestar) -> None:
    """Complete ``app.openapi_schema`` in place (once, at start-up)."""
    document = app.openapi_schema
    document_errors(document)
    public = _public_operation_ids(app)
    for operation in _operations(document):
        if operation.operation_id in public:
            operation.security = []  # no bearer token: sign-in, refresh, health
        if body := FILE_BODIES.get(operation.operation_id or ""):
            operation.request_body = RequestBody(
                content={t: OpenAPIMediaType(schema=s) for t, s in body.items()}, required=True
            )
        if answer := FILE_ANSWERS.get(operation.operation_id or ""):
            ok = next(iter(k for k in (operation.responses or {}) if k.startswith("2")))
            response: Any = operation.responses[ok]  # type: ignore[index]
            response.content = {t: OpenAPIMediaType(schema=s) for t, s in answer.items()}
    _rename_components(document)


def _public_operation_ids(app: Litestar) -> set[str]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.opt.get("exclude_from_auth") and isinstance(handler.operation_id, str):
                found.add(handler.operation_id)
    return found


def _operations(document: OpenAPI) -> list[Operation]:
    methods = ("get", "put", "post", "delete", "patch")
    return [
        op
        for item in (document.paths or {}).values()
        for op in (getattr(item, m, None) for m in methods)
        if op is not None
    ]


def _rename_components(document: OpenAPI) -> None:
    schemas = document.components.schemas if document.components else None  # type: ignore[union-attr]
    if not schemas:
        return
    for old, new in RENAMED.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)  # type: ignore[index]
    refs = {f"#/components/schemas/{o}": f"#/components/schemas/{n}" for o, n in RENAMED.items()}
    _rewrite_refs(document, refs, set())


def _rewrite_refs(node: Any, refs: dict[str, str], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, Reference):
        node.ref = refs.get(node.ref, node.ref)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _rewrite_refs(getattr(node, field.name), refs, seen)
    elif isinstance(node, dict):
        for value in node.values():
            _rewrite_refs(value, refs, seen)
    elif isinstance(node, list | tuple):
        for value in node:
            _rewrite_refs(value, refs, seen)
