"""EUDR geolocation writes: a farm's point or boundary (farm_set_geometry: checked, measured, compared with
the declared hectares and searched for overlaps; farm_geometry_check previews it) and its deforestation-free
declaration (farm_declare_land_use)."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from members.eudr.status import (
    AREA_TOLERANCE,
    OVERLAP_MIN_HA,
    OVERLAP_SHARE,
    POINT_MAX_HECTARES,
    area_message,
    overlap_message,
    point_too_large_message,
    refresh_eudr_status,
)
from members.geometry import (
    EXPORT_QUANTUM,
    MAX_PLOT_SPAN_DEGREES,
    area_difference_share,
    eudr_geometry_problems,
    geodesic_area_ha,
    normalize_geometry,
    orient_polygons,
)
from members.models import Farm, FarmDeforestationDeclaration, FarmOverlap


@dataclass(frozen=True)
class OverlapFinding:
    other_farm: Farm
    overlap_ha: Decimal


@dataclass(frozen=True)
class GeometryCheck:
    """What a geometry is, or would be once saved: normalized GeoJSON ([longitude, latitude], 6 decimals,
    exterior rings counterclockwise), its geodesic area (None for a point), and what flags the farm."""

    geometry: dict
    area_ha: Decimal | None
    area_flagged: bool
    overlaps: list[OverlapFinding]
    warnings: list[str] = field(default_factory=list)

    @property
    def is_point(self) -> bool:
        return self.geometry["type"] == "Point"


def _geometry_error(problems) -> ValidationError:
    return ValidationError({"geometry": [ValidationError(problem.message, code=problem.code) for problem in problems]})


def farm_geometry_check(*, farm: Farm, geometry: Mapping[str, Any]) -> GeometryCheck:
    """Check a geometry for `farm` without writing anything (the page's preview; farm_set_geometry uses it).

    Raises ValidationError under "geometry", one message per problem, each with its code (e.g.
    "swapped": members.geometry.swap_coordinates gives the fix). Cost: one query, the overlap search.
    """
    problems = eudr_geometry_problems(dict(geometry))
    if problems:
        raise _geometry_error(problems)
    normalized = orient_polygons(normalize_geometry(dict(geometry)))
    if normalized["type"] == "Point":
        warnings = []
        if farm.hectares > POINT_MAX_HECTARES:
            warnings.append(point_too_large_message(farm))
        return GeometryCheck(normalized, None, False, [], warnings)
    shaped = shape(normalized)
    area = geodesic_area_ha(shaped)
    area_flagged = area_difference_share(area, farm.hectares) > AREA_TOLERANCE
    overlaps = overlapping_farms(shaped=shaped, area_ha=area, exclude_pk=farm.pk)
    warnings = []
    if area_flagged:
        warnings.append(area_message(area, farm.hectares))
    warnings += [overlap_message(finding.other_farm, finding.overlap_ha) for finding in overlaps]
    return GeometryCheck(normalized, area, area_flagged, overlaps, warnings)


@transaction.atomic
def farm_set_geometry(
    *, farm: Farm, geometry: Mapping[str, Any], source: str, recorded_by: AbstractBaseUser
) -> GeometryCheck:
    """Set the farm's EUDR geolocation: a GeoJSON Point, or a Polygon/MultiPolygon boundary.

    Refused (ValidationError, nothing written) when the geometry fails members.geometry's EUDR checks or
    the farm is retired. A point replaces the boundary (cleared) and sets latitude/longitude; a boundary
    is stored normalized with its bounding box and geodesic area, `area_flagged` when that area differs
    from the declared hectares by more than 20%, and fills latitude/longitude with a point inside it when
    the farm has none. The farm's overlap rows (both directions) are rewritten. Flags and a point for a
    plot over 4 ha are not refusals: they come back as `warnings`, and keep the farm from EUDR readiness.

    The farm row is locked; two neighbours saved at the same instant may each miss the other's new
    boundary (the pair is found when either is saved again). The stored EUDR status of the farm and of the farms
    its old and new boundaries overlap is refreshed (members.eudr.status.refresh_eudr_status). Cost: about 10
    queries.
    """
    if source not in Farm.GeometrySource.values:
        raise ValueError(f"Unknown geometry source: {source}")
    farm = Farm.objects.select_for_update(of=("self",)).select_related("member").get(pk=farm.pk)
    if farm.status != Farm.Status.ACTIVE:
        raise ValidationError({"geometry": _("The farm is retired; its geometry can no longer be changed.")})
    check = farm_geometry_check(farm=farm, geometry=geometry)
    if check.is_point:
        longitude, latitude = (Decimal(repr(value)).quantize(EXPORT_QUANTUM) for value in check.geometry["coordinates"])
        farm.latitude, farm.longitude = latitude, longitude
        farm.boundary = None
        farm.boundary_area_ha = None
        farm.area_flagged = False
        farm.bbox_min_lon = farm.bbox_min_lat = farm.bbox_max_lon = farm.bbox_max_lat = None
    else:
        shaped = shape(check.geometry)
        farm.boundary = check.geometry
        farm.boundary_area_ha = check.area_ha
        farm.area_flagged = check.area_flagged
        farm.bbox_min_lon, farm.bbox_min_lat, farm.bbox_max_lon, farm.bbox_max_lat = shaped.bounds
        if farm.latitude is None:
            inside = shaped.representative_point()
            farm.longitude = Decimal(repr(inside.x)).quantize(EXPORT_QUANTUM)
            farm.latitude = Decimal(repr(inside.y)).quantize(EXPORT_QUANTUM)
    farm.geometry_source = source
    farm.geometry_recorded_by = recorded_by
    farm.geometry_recorded_at = timezone.now()
    farm.full_clean()
    farm.save()
    # The farms the old boundary overlapped: their status may change once the rows go.
    former_neighbours = list(FarmOverlap.objects.filter(other_farm=farm).values_list("farm_id", flat=True))
    FarmOverlap.objects.filter(Q(farm=farm) | Q(other_farm=farm)).delete()
    FarmOverlap.objects.bulk_create(
        [
            row
            for finding in check.overlaps
            for row in (
                FarmOverlap(farm=farm, other_farm=finding.other_farm, overlap_ha=finding.overlap_ha),
                FarmOverlap(farm=finding.other_farm, other_farm=farm, overlap_ha=finding.overlap_ha),
            )
        ]
    )
    # The farm's stored status, and its neighbours' (old and new), in this transaction.
    refresh_eudr_status([farm.pk, *former_neighbours])
    return check


def overlapping_farms(*, shaped: BaseGeometry, area_ha: Decimal, exclude_pk: int | None = None) -> list[OverlapFinding]:
    """Active farms whose checked boundary overlaps `shaped` beyond the tolerance, largest overlap first.

    Cost: one query. The database returns the candidates whose bounding box meets this one's: since no
    checked boundary spans more than MAX_PLOT_SPAN_DEGREES, a candidate's west edge lies between this
    box's west edge minus that span and its east edge (same for the south edge), a range read from the
    index members_farm_bbox_idx (west edge, then south edge), so the search reads the index entries of a
    strip about 0.05° + the plot's width wide and returns only the boxes that really meet, however many
    farms there are (300,000 or more). Shapely then tests the candidates in memory (an STRtree when
    there are several), and pyproj measures each intersection on the ellipsoid.
    """
    min_lon, min_lat, max_lon, max_lat = shaped.bounds
    candidates = list(
        Farm.objects.filter(
            status=Farm.Status.ACTIVE,
            bbox_min_lon__gte=min_lon - MAX_PLOT_SPAN_DEGREES,
            bbox_min_lon__lte=max_lon,
            bbox_min_lat__gte=min_lat - MAX_PLOT_SPAN_DEGREES,
            bbox_min_lat__lte=max_lat,
            bbox_max_lon__gte=min_lon,
            bbox_max_lat__gte=min_lat,
        )
        .exclude(pk=exclude_pk)
        .select_related("member")
        .order_by("pk")
    )
    if not candidates:
        return []
    shapes = [shape(candidate.boundary) for candidate in candidates]
    if len(shapes) > 1:
        hits = sorted(STRtree(shapes).query(shaped, predicate="intersects"))
    else:
        hits = [0] if shapes[0].intersects(shaped) else []
    findings = []
    for index in hits:
        candidate = candidates[index]
        overlap = geodesic_area_ha(shaped.intersection(shapes[index]))
        smaller = min(area_ha, candidate.boundary_area_ha)
        if overlap > max(OVERLAP_MIN_HA, OVERLAP_SHARE * smaller):
            findings.append(OverlapFinding(candidate, overlap))
    return sorted(findings, key=lambda finding: (-finding.overlap_ha, finding.other_farm.pk))


@transaction.atomic
def farm_declare_land_use(
    *,
    farm: Farm,
    land_use_2020: str,
    evidence_note: str,
    declared_by: AbstractBaseUser,
    declared_on: datetime.date | None = None,
) -> FarmDeforestationDeclaration:
    """Record (or replace) the farm's land use on 31 December 2020 and its evidence; the replaced version
    stays in the declaration's history. "forest" keeps the farm from EUDR readiness. Raises
    ValidationError with field messages. The farm's stored EUDR status is refreshed. Cost: 4 queries (lock, the
    current declaration, the write, the status refresh)."""
    farm = Farm.objects.select_for_update().get(pk=farm.pk)
    declaration = FarmDeforestationDeclaration.objects.filter(farm=farm).first() or FarmDeforestationDeclaration(
        farm=farm
    )
    declaration.land_use_2020 = land_use_2020
    declaration.evidence_note = evidence_note.strip()
    declaration.declared_by = declared_by
    declaration.declared_on = declared_on or timezone.localdate()
    declaration.full_clean()
    declaration.save()
    refresh_eudr_status([farm.pk])
    return declaration
