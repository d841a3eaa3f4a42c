"""The violation catalogue (违规事件分类): types, their SLAs, camera defaults and dispatch."""

from domain.catalogue.types import (
    DEFAULT_PATH,
    AutoDispatch,
    CameraRule,
    CatalogueError,
    Category,
    FirstStep,
    Sla,
    Urgency,
    ViolationType,
    decode_type,
    encode_type,
    load_catalogue,
    parse_catalogue,
)

__all__ = [
    "DEFAULT_PATH",
    "AutoDispatch",
    "CameraRule",
    "CatalogueError",
    "Category",
    "FirstStep",
    "Sla",
    "Urgency",
    "ViolationType",
    "decode_type",
    "encode_type",
    "load_catalogue",
    "parse_catalogue",
]
