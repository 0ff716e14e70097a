"""The certifications app's models, one module per sub-domain; Django finds them through this package."""

from certifications.models.certifications import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    Certification,
    CertificationEvent,
    CertificationStatus,
    ConversionStage,
    Standard,
    StandardCode,
)
from certifications.models.committee import CafeTier, CafeVerification, GroupCertificate, Sanction
from certifications.models.inspections import (
    Checklist,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "CafeTier",
    "CafeVerification",
    "Certification",
    "CertificationEvent",
    "CertificationStatus",
    "Checklist",
    "ConversionStage",
    "GroupCertificate",
    "Inspection",
    "InspectionAnswer",
    "InspectorConflict",
    "NonConformity",
    "Requirement",
    "Sanction",
    "Standard",
    "StandardCode",
]
