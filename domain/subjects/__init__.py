"""Supervised subjects (监管对象): who the bureau watches, and what it knows of each."""

from domain.subjects.model import (
    Details,
    MerchantDetails,
    PremisesDetails,
    SiteDetails,
    StructureDetails,
    SubjectKind,
    check_credit_code,
)

__all__ = [
    "Details",
    "MerchantDetails",
    "PremisesDetails",
    "SiteDetails",
    "StructureDetails",
    "SubjectKind",
    "check_credit_code",
]
