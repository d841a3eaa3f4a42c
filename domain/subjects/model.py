"""The kinds of supervised subject and the fields each kind carries.

Common to all: name, address, location, registered contact (personal data), unified
social credit code (统一社会信用代码, checked by its GB 32100-2015 check character).
Each kind adds its own ``details``: a street-front merchant's shop sign and business,
a construction site's permit and period, a business premises' licence, an illegal
structure's measurements (its lifecycle is its own concept).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import msgspec

from domain.errors import InvalidInput
from domain.geo import Location


class SubjectKind(StrEnum):
    merchant = "merchant"  # 沿街商户
    construction_site = "construction_site"  # 建设工地
    business_premises = "business_premises"  # 经营性场所
    illegal_structure = "illegal_structure"  # 违法建筑

    @property
    def label_zh(self) -> str:
        return _KIND_ZH[self]


_KIND_ZH = {
    SubjectKind.merchant: "沿街商户",
    SubjectKind.construction_site: "建设工地",
    SubjectKind.business_premises: "经营性场所",
    SubjectKind.illegal_structure: "违法建筑",
}

Short = Annotated[str, msgspec.Meta(max_length=128)]
Point = tuple[float, float]  # (lng, lat), WGS-84


class MerchantDetails(msgspec.Struct, frozen=True, tag="merchant", forbid_unknown_fields=True):
    shop_sign: Short = ""  # 店招 text
    business_type: Short = ""  # e.g. 餐饮, 水果, 五金
    opening_hours: Annotated[str, msgspec.Meta(max_length=64)] = ""  # e.g. 07:00-22:00


class SiteDetails(msgspec.Struct, frozen=True, tag="construction_site", forbid_unknown_fields=True):
    permit_number: Short = ""  # 施工许可证号
    contractor: Short = ""  # 施工单位
    period_from: date | None = None
    period_to: date | None = None
    site_polygon: Annotated[list[Point], msgspec.Meta(max_length=200)] = []

    def __post_init__(self) -> None:
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        if self.site_polygon and len(self.site_polygon) < 3:
            raise ValueError("a site polygon needs at least 3 points")


class PremisesDetails(
    msgspec.Struct, frozen=True, tag="business_premises", forbid_unknown_fields=True
):
    premises_kind: Short = ""  # e.g. 娱乐场所, 菜市场, 仓储
    licence_number: Short = ""


class StructureDetails(
    msgspec.Struct, frozen=True, tag="illegal_structure", forbid_unknown_fields=True
):
    area_m2: Annotated[float, msgspec.Meta(ge=0)] | None = None
    floors: Annotated[int, msgspec.Meta(ge=0, le=200)] | None = None
    structure_type: Short = ""  # e.g. 彩钢板, 砖混
    built_when: Annotated[str, msgspec.Meta(max_length=32)] = ""  # as surveyed, e.g. 2019
    owner: Short = ""


Details = MerchantDetails | SiteDetails | PremisesDetails | StructureDetails

DETAILS_OF: dict[SubjectKind, type[Details]] = {
    SubjectKind.merchant: MerchantDetails,
    SubjectKind.construction_site: SiteDetails,
    SubjectKind.business_premises: PremisesDetails,
    SubjectKind.illegal_structure: StructureDetails,
}


def details_for(kind: SubjectKind, details: Details | None) -> Details:
    """The kind's details (empty ones when none were given); a mismatch is refused."""
    if details is None:
        return DETAILS_OF[kind]()
    if not isinstance(details, DETAILS_OF[kind]):
        raise InvalidInput("subject_details_mismatch", f"details are not those of a {kind}")
    return details


# GB 32100-2015: 18 characters from this alphabet (no I, O, Z, S, V), the last a check.
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_credit_code(code: str) -> str:
    """The code, upper-cased, if its check character is right; InvalidInput if not."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _ALPHABET for c in code):
        raise InvalidInput("credit_code_invalid", "a credit code is 18 characters of GB 32100")
    total = sum(_ALPHABET.index(c) * w for c, w in zip(code[:17], _WEIGHTS, strict=True))
    expected = _ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        raise InvalidInput("credit_code_invalid", "the credit code's check character is wrong")
    return code


def credit_code_with_check(first17: str) -> str:
    """Complete 17 characters with their check character (for test data and demos)."""
    total = sum(_ALPHABET.index(c) * w for c, w in zip(first17.upper(), _WEIGHTS, strict=True))
    return first17.upper() + _ALPHABET[(31 - total % 31) % 31]


Phone = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")]


class SubjectInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A subject as an admin enters it, or as a register row describes it."""

    kind: SubjectKind
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    address: Annotated[str, msgspec.Meta(max_length=256)] = ""
    location: Location
    credit_code: Annotated[str, msgspec.Meta(max_length=18)] | None = None
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: Phone = ""
    details: Details | None = None

    def checked(self) -> SubjectInput:
        """The same subject with its credit code checked and its details filled in."""
        code = check_credit_code(self.credit_code) if self.credit_code else None
        return msgspec.structs.replace(
            self, credit_code=code, details=details_for(self.kind, self.details)
        )
