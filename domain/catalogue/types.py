"""The violation catalogue: what kinds of violation (违规事件) exist and how each is handled.

A violation type carries its event code (大类-小类, after the digital-urban-management event
classification), its names, urgency and severity, its deadlines (SLA), the detector labels
and zone kind that can evidence it on a camera, the default auto-dispatch, and the first
step of the soft-enforcement ladder.

Codes are ``MM-NN`` (大类-小类, e.g. ``05-04``). Two local extension forms are allowed and
documented here, because the national list is not enough for a district bureau:

* a 小类 from 50 to 98 inside a national 大类 (``03-51`` 渣土车未苫盖): a type of ours that the
  national standard does not list (``99`` stays "other" as in the standard);
* a sub-type ``MM-NN-SS`` (``01-02-01``) that refines the type ``MM-NN``, which must be in
  the catalogue too and of the same category.

In JSON (the packaged data file and the API) durations are written as text, ``"4h"``;
use ``encode_type`` / ``decode_type`` to cross that boundary. ``Sla`` holds parsed
``Duration`` values, so deadline code never parses text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import msgspec

from domain.sla.duration import Duration

DEFAULT_PATH = Path(__file__).with_name("violation_types.json")

_CODE = re.compile(r"^(\d{2})-(\d{2})(?:-(\d{2}))?$")
_ZONE_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_LOCAL_MINOR = range(50, 99)
_SLA_STAGES = ("accept", "verify", "handle", "rectification")


class Urgency(StrEnum):
    """How a type's deadlines run: office time and working days, or the wall clock."""

    normal = "normal"  # deadlines in working time
    urgent = "urgent"  # deadlines on the wall clock (nights, weekends, holidays count)


class AutoDispatch(StrEnum):
    """Where a new case of this type goes without a person triaging it."""

    none = "none"  # the command centre triages
    squad = "squad"  # to the squad whose jurisdiction polygon holds the point
    officer = "officer"  # to that squad and one of its on-duty officers


class FirstStep(StrEnum):
    """The first rung of the enforcement ladder for a new case."""

    dispatch = "dispatch"  # send an officer at once
    notify_party = "notify_party"  # notify the responsible party, then recheck


class Category(StrEnum):
    """Event 大类 of the digital-urban-management classification."""

    city_appearance = "city_appearance"
    advertising = "advertising"
    construction = "construction"
    street_order = "street_order"
    inspection = "inspection"  # routine inspection tasks (日常检查): not a violation yet

    @property
    def code(self) -> str:
        """The two-digit 大类 code that starts every type code of this category."""
        return _CATEGORY_CODES[self][0]

    @property
    def name_zh(self) -> str:
        """The category's Chinese name as the standard writes it."""
        return _CATEGORY_CODES[self][1]


_CATEGORY_CODES: dict[Category, tuple[str, str]] = {
    Category.city_appearance: ("01", "市容环境"),
    Category.advertising: ("02", "宣传广告"),
    Category.construction: ("03", "施工管理"),
    Category.street_order: ("05", "街面秩序"),
    Category.inspection: ("90", "日常检查"),
}


class CatalogueError(ValueError):
    """Bad catalogue data; ``code`` names the offending violation type when one is known."""

    def __init__(self, code: str | None, detail: str) -> None:
        super().__init__(f"violation type {code}: {detail}" if code else detail)
        self.code = code
        self.detail = detail


class Sla(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A type's deadlines: accept, verify on site, handle (处置时限), and the default
    rectification period (整改期限) given to a party to fix the problem."""

    accept: Duration
    verify: Duration
    handle: Duration
    rectification: Duration

    def __post_init__(self) -> None:
        for stage in _SLA_STAGES:
            if getattr(self, stage).amount <= 0:
                raise ValueError(f"sla.{stage} must be positive")


class CameraRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Defaults for a camera zone rule of a type: which detector labels can evidence it,
    in what kind of zone, how sure, how many objects, and how long they must stay."""

    labels: tuple[str, ...]
    zone_kind: str
    min_score: float
    min_count: int = 1
    dwell_s: int = 0

    def __post_init__(self) -> None:
        if not self.labels or any(not label.strip() for label in self.labels):
            raise ValueError("camera.labels must be a non-empty list of non-empty labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("camera.labels has duplicates")
        if not _ZONE_KIND.match(self.zone_kind):
            raise ValueError(f"camera.zone_kind must be snake_case, got {self.zone_kind!r}")
        if not 0.0 < self.min_score <= 1.0:
            raise ValueError(f"camera.min_score must be in (0, 1], got {self.min_score}")
        if self.min_count < 1:
            raise ValueError(f"camera.min_count must be at least 1, got {self.min_count}")
        if self.dwell_s < 0:
            raise ValueError(f"camera.dwell_s must not be negative, got {self.dwell_s}")


class ViolationType(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One kind of violation and the defaults every case of that kind starts from."""

    code: str
    name_zh: str
    name_en: str
    category: Category
    urgency: Urgency
    severity: int  # 1 minor, 2 moderate, 3 serious
    sla: Sla
    auto_dispatch: AutoDispatch
    first_step: FirstStep
    camera: CameraRule | None = None
    active: bool = True
    legal_basis_zh: str = ""

    def __post_init__(self) -> None:
        found = _CODE.match(self.code)
        if not found:
            raise ValueError(f"code {self.code!r} is not MM-NN or MM-NN-SS")
        if found.group(1) != self.category.code:
            raise ValueError(
                f"code {self.code} does not belong to category {self.category.value} "
                f"({self.category.code})"
            )
        if not self.name_zh.strip() or not self.name_en.strip():
            raise ValueError("name_zh and name_en must not be empty")
        if self.severity not in (1, 2, 3):
            raise ValueError(f"severity must be 1, 2 or 3, got {self.severity}")

    @property
    def parent_code(self) -> str | None:
        """The refined type's code for a sub-type (``01-02`` for ``01-02-01``), else None."""
        return self.code[:5] if len(self.code) > 5 else None

    @property
    def is_local_extension(self) -> bool:
        """Whether the national standard lacks this code (小类 50-98, or a sub-type)."""
        return self.parent_code is not None or int(self.code[3:5]) in _LOCAL_MINOR


def encode_type(vt: ViolationType) -> dict[str, Any]:
    """The JSON-ready form of a type, as the data file and the API write it."""
    encoded: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(vt))
    encoded["sla"] = {stage: str(getattr(vt.sla, stage)) for stage in _SLA_STAGES}
    return encoded


def decode_type(obj: Mapping[str, Any]) -> ViolationType:
    """A validated type from its JSON form; CatalogueError (a ValueError) naming the code."""
    if not isinstance(obj, Mapping):
        raise CatalogueError(None, f"a violation type must be an object, got {obj!r}")
    code = obj.get("code")
    try:
        return msgspec.convert({**obj, "sla": _decode_sla(obj.get("sla"))}, ViolationType)
    except ValueError as exc:  # msgspec.ValidationError is a ValueError
        raise CatalogueError(code if isinstance(code, str) else None, str(exc)) from exc


def _decode_sla(raw: object) -> Sla:
    """Parse the ``sla`` object of the JSON form: four duration texts."""
    if not isinstance(raw, Mapping):
        raise ValueError("sla must be an object with accept, verify, handle, rectification")
    unknown = set(raw) - set(_SLA_STAGES)
    if unknown:
        raise ValueError(f"sla has unknown fields {sorted(unknown)}")
    parsed: dict[str, Duration] = {}
    for stage in _SLA_STAGES:
        text = raw.get(stage)
        if not isinstance(text, str):
            raise ValueError(f"sla.{stage} must be a duration text such as 4h, got {text!r}")
        try:
            parsed[stage] = Duration.parse(text)
        except ValueError as exc:
            raise ValueError(f"sla.{stage}: {exc}") from exc
    return Sla(**parsed)


def parse_catalogue(doc: Mapping[str, Any]) -> dict[str, ViolationType]:
    """The types of a catalogue document (``{"version", "source", "types": [...]}``) by code,
    in document order; CatalogueError on the first bad type, duplicate or orphan sub-type."""
    types = doc.get("types") if isinstance(doc, Mapping) else None
    if not isinstance(types, list):
        raise CatalogueError(None, "the catalogue must be an object with a 'types' list")
    if not isinstance(doc.get("version"), str) or not doc["version"]:
        raise CatalogueError(None, "the catalogue must have a non-empty 'version'")
    catalogue: dict[str, ViolationType] = {}
    for obj in types:
        vt = decode_type(obj)
        if vt.code in catalogue:
            raise CatalogueError(vt.code, "duplicate code")
        catalogue[vt.code] = vt
    for vt in catalogue.values():
        _check_parent(vt, catalogue)
    return catalogue


def _check_parent(vt: ViolationType, catalogue: Mapping[str, ViolationType]) -> None:
    """A sub-type's parent must be in the catalogue (same category follows from the code)."""
    if vt.parent_code is not None and vt.parent_code not in catalogue:
        raise CatalogueError(vt.code, f"sub-type of {vt.parent_code}, which is not listed")


def load_catalogue(path: Path | None = None) -> dict[str, ViolationType]:
    """Read and validate a catalogue file (the packaged one by default), types by code."""
    source = path or DEFAULT_PATH
    try:
        doc = msgspec.json.decode(source.read_bytes())
    except msgspec.DecodeError as exc:
        raise CatalogueError(None, f"{source.name} is not valid JSON: {exc}") from exc
    return parse_catalogue(doc)
