"""Members (farmers), their farms (plots), the technicians' farm visits and the farms' EUDR records.

Every model is imported here, where Django looks for them; code may import from `members.models` or from
the module that defines a name.
"""

from members.models.coordinates import coordinates_errors, latitude_field, longitude_field
from members.models.eudr import FarmDeforestationDeclaration, FarmOverlap, LandUse2020
from members.models.farms import MAX_ALTITUDE_M, MAX_FARM_HECTARES, MIN_ALTITUDE_M, EudrStatus, Farm
from members.models.members import Gender, Member, ubigeo_validator
from members.models.photos import (
    MAX_PHOTO_UPLOAD_BYTES,
    MAX_VISIT_PHOTOS,
    PHOTO_MAX_SIDE_PX,
    VisitPhoto,
    visit_photo_path,  # named by migration 0002 as members.models.visit_photo_path
)
from members.models.visits import PESTS_BY_CROP, FarmVisit, Pest, Practice, VisitPestObservation

__all__ = [
    "MAX_ALTITUDE_M",
    "MAX_FARM_HECTARES",
    "MAX_PHOTO_UPLOAD_BYTES",
    "MAX_VISIT_PHOTOS",
    "MIN_ALTITUDE_M",
    "PESTS_BY_CROP",
    "PHOTO_MAX_SIDE_PX",
    "EudrStatus",
    "Farm",
    "FarmDeforestationDeclaration",
    "FarmOverlap",
    "FarmVisit",
    "Gender",
    "LandUse2020",
    "Member",
    "Pest",
    "Practice",
    "VisitPestObservation",
    "VisitPhoto",
    "coordinates_errors",
    "latitude_field",
    "longitude_field",
    "ubigeo_validator",
    "visit_photo_path",
]
