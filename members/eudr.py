"""EUDR (EU Deforestation Regulation, 2023/1115) geolocation of farms: services and selectors.

Writes: farm_set_geometry (a point or a boundary, checked, measured, compared and searched for overlaps),
farm_declare_land_use (the deforestation-free declaration). Reads: the readiness of a set of farms, the
farms of an export selection, the export itself (GeoJSON files, split under the EU's 25 MB limit), and the
map's features. Staff pages, the partner API and the field app call these.

A farm is EUDR-ready when it is active and
- it has a checked boundary (Polygon or MultiPolygon), or a point and at most 4 ha (EUDR art. 2(28));
- its measured area is within 20% of the declared hectares, and its boundary overlaps no other active
  farm's beyond the tolerance (more than 0.01 ha and more than 1% of the smaller plot);
- its deforestation-free declaration exists and the land was not forest on 31 December 2020.
Otherwise its status is "missing geometry" (the first rule) or "flagged" (the others), with reasons.
"""

import datetime
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from api.scope import PARTNER_VISIBLE_ENROLMENTS
from cooperative.access import Role
from cooperative.models import AllianceProgram, ProgramEnrollment, Region
from deliveries.models import Delivery
from members.geometry import (
    EXPORT_QUANTUM,
    MAX_PLOT_SPAN_DEGREES,
    area_difference_share,
    eudr_geometry_problems,
    geodesic_area_ha,
    normalize_geometry,
    orient_polygons,
)
from members.models import Farm, FarmDeforestationDeclaration, FarmOverlap, LandUse2020, Member

# Who does what (staff pages): record geometries and declarations; export; read the map.
EUDR_EDITORS = frozenset({Role.MANAGER, Role.TECHNICIAN})
EUDR_EXPORTERS = frozenset({Role.MANAGER})
EUDR_MAP_READERS = frozenset({Role.MANAGER, Role.TECHNICIAN, Role.ICS_COORDINATOR})

# EUDR art. 2(28): a plot of more than 4 ha is described by a polygon; a smaller one may be a point.
POINT_MAX_HECTARES = Decimal("4")
# A measured area this far (as a share of the declared hectares) from the declared one is reviewed.
AREA_TOLERANCE = 0.20
AREA_TOLERANCE_DECIMAL = Decimal("0.20")
# Neighbours' boundaries walked separately overlap in slivers along the shared edge (GPS error): an
# overlap counts when it is larger than both 0.01 ha (100 m²) and 1% of the smaller plot.
OVERLAP_MIN_HA = Decimal("0.01")
OVERLAP_SHARE = Decimal("0.01")
PRODUCER_COUNTRY = "PE"
CUT_OFF_DATE = datetime.date(2020, 12, 31)
# The EU information system takes statement files of at most 25 MB; settings may lower it (tests do).
DEFAULT_MAX_FILE_BYTES = 25 * 1000 * 1000
GEOJSON_CONTENT_TYPE = "application/geo+json"
ZIP_CONTENT_TYPE = "application/zip"
EXPORT_CHUNK_SIZE = 2000
MAP_FEATURE_LIMIT = 1000
NOT_READY_LISTED = 200


class EudrStatus(models.TextChoices):
    """A farm's EUDR status, computed in SQL by with_eudr_status (never stored)."""

    READY = "ready", gettext_lazy("Ready")
    MISSING_GEOMETRY = "missing_geometry", gettext_lazy("Missing geometry")
    FLAGGED = "flagged", gettext_lazy("To review")


# -- writes ---------------------------------------------------------------------------------------------


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
            warnings.append(_point_too_large_message(farm))
        return GeometryCheck(normalized, None, False, [], warnings)
    shaped = shape(normalized)
    area = geodesic_area_ha(shaped)
    area_flagged = area_difference_share(area, farm.hectares) > AREA_TOLERANCE
    overlaps = overlapping_farms(shaped=shaped, area_ha=area, exclude_pk=farm.pk)
    warnings = []
    if area_flagged:
        warnings.append(_area_message(area, farm.hectares))
    warnings += [_overlap_message(finding.other_farm, finding.overlap_ha) for finding in overlaps]
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
    boundary (the pair is found when either is saved again). Cost: about 8 queries.
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
    ValidationError with field messages. Cost: 3 queries (lock, the current declaration, the write)."""
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
    return declaration


# -- status and reasons ---------------------------------------------------------------------------------


def _overlap_exists() -> Exists:
    return Exists(FarmOverlap.objects.filter(farm=OuterRef("pk"), other_farm__status=Farm.Status.ACTIVE))


def _declared_not_forest() -> Exists:
    return Exists(
        FarmDeforestationDeclaration.objects.filter(farm=OuterRef("pk")).exclude(land_use_2020=LandUse2020.FOREST)
    )


def located_q() -> Q:
    """Farms with a valid EUDR geolocation: a checked boundary, or a point and at most 4 ha."""
    return Q(boundary__isnull=False, boundary_area_ha__isnull=False) | Q(
        latitude__isnull=False, hectares__lte=POINT_MAX_HECTARES
    )


def area_mismatch_q() -> Q:
    """Farms whose checked boundary measures more than 20% above or below the declared hectares.

    Compared on every read rather than taken from the stored `area_flagged` (set when the geometry is
    recorded), so that correcting the hectares on the farm form settles the flag at once."""
    return Q(boundary_area_ha__gt=F("hectares") * (1 + AREA_TOLERANCE_DECIMAL)) | Q(
        boundary_area_ha__lt=F("hectares") * (1 - AREA_TOLERANCE_DECIMAL)
    )


def ready_q() -> Q:
    """EUDR-ready farms (see the module docstring)."""
    return (
        located_q()
        & Q(status=Farm.Status.ACTIVE)
        & ~area_mismatch_q()
        & ~Q(_overlap_exists())
        & Q(_declared_not_forest())
    )


def with_eudr_status(farms: QuerySet[Farm]) -> QuerySet[Farm]:
    """Annotate `eudr_status` (EudrStatus value) in the same query; declaration joined for the reasons."""
    return farms.select_related("deforestation_declaration").annotate(
        eudr_status=Case(
            When(~located_q(), then=Value(EudrStatus.MISSING_GEOMETRY)),
            When(ready_q(), then=Value(EudrStatus.READY)),
            default=Value(EudrStatus.FLAGGED),
        )
    )


def overlaps_prefetch() -> Prefetch:
    """The farm's overlaps with active farms, other farm and its member joined, as `overlap_list`."""
    return Prefetch(
        "overlaps",
        queryset=FarmOverlap.objects.filter(other_farm__status=Farm.Status.ACTIVE)
        .select_related("other_farm__member")
        .order_by("-overlap_ha", "other_farm_id"),
        to_attr="overlap_list",
    )


def _point_too_large_message(farm: Farm) -> str:
    return _(
        "The plot has %(hectares)s ha: over 4 ha the EUDR needs a polygon of the boundary, a point is not enough."
    ) % {"hectares": farm.hectares}


def _area_message(measured: Decimal, declared: Decimal) -> str:
    return _(
        "The boundary measures %(measured)s ha but %(declared)s ha are declared (more than 20%% apart): check "
        "the boundary or correct the hectares."
    ) % {"measured": measured.quantize(Decimal("0.01")), "declared": declared}


def _overlap_message(other: Farm, hectares: Decimal) -> str:
    return _("The boundary overlaps farm %(farm)s by %(hectares)s ha.") % {"farm": other, "hectares": hectares}


def eudr_reasons(farm: Farm) -> list[str]:
    """Why the farm is not EUDR-ready, in the current language; [] when it is. Needs the declaration
    joined (with_eudr_status) and, to name the other farms, overlaps_prefetch(); no query then."""
    reasons = []
    if farm.status != Farm.Status.ACTIVE:
        reasons.append(_("The farm is retired."))
    checked_boundary = farm.boundary is not None and farm.boundary_area_ha is not None
    if not checked_boundary:
        if farm.latitude is None and farm.boundary is None:
            reasons.append(_("No geolocation: record the plot's point or its boundary."))
        elif farm.latitude is None or farm.hectares > POINT_MAX_HECTARES:
            if farm.boundary is not None:
                reasons.append(_("The boundary has not been checked: save it again on the farm's geometry page."))
            else:
                reasons.append(_point_too_large_message(farm))
    if (
        farm.boundary_area_ha is not None
        and area_difference_share(farm.boundary_area_ha, farm.hectares) > AREA_TOLERANCE
    ):
        reasons.append(_area_message(farm.boundary_area_ha, farm.hectares))
    overlaps = getattr(farm, "overlap_list", None)
    if overlaps is None:
        overlaps = list(
            FarmOverlap.objects.filter(farm=farm, other_farm__status=Farm.Status.ACTIVE).select_related(
                "other_farm__member"
            )
        )
    reasons += [_overlap_message(overlap.other_farm, overlap.overlap_ha) for overlap in overlaps]
    try:
        declaration = farm.deforestation_declaration
    except ObjectDoesNotExist:
        declaration = None
    if declaration is None:
        reasons.append(_("No deforestation-free declaration (the land use on 31 December 2020)."))
    elif declaration.land_use_2020 == LandUse2020.FOREST:
        reasons.append(
            _(
                "Declared as forest on 31 December 2020: the plot is not deforestation-free and cannot be "
                "placed on the EU market."
            )
        )
    return reasons


# -- readiness ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessRow:
    key: str  # the region's name, or the program's code
    label: str
    total: int  # active farms
    located: int  # with a valid geolocation
    ready: int  # EUDR-ready

    @property
    def ready_percent(self) -> int | None:
        return round(100 * self.ready / self.total) if self.total else None

    @property
    def located_percent(self) -> int | None:
        return round(100 * self.located / self.total) if self.total else None


@dataclass(frozen=True)
class EudrReadiness:
    total: int
    located: int
    ready: int
    by_region: list[ReadinessRow]
    by_program: list[ReadinessRow]

    @property
    def ready_percent(self) -> int | None:
        return round(100 * self.ready / self.total) if self.total else None

    @property
    def located_percent(self) -> int | None:
        return round(100 * self.located / self.total) if self.total else None


def eudr_readiness(
    *, farms_queryset: QuerySet[Farm], programs: QuerySet[AllianceProgram] | None = None
) -> EudrReadiness:
    """Active farms of `farms_queryset` with a valid geolocation and EUDR-ready, in total, per region
    (the farm's) and per program (the member's active or completed enrolments; only `programs` when
    given, e.g. a partner's own). Cost: 2 queries (per region, per program; the totals are the regions'
    sum), whatever the number of farms."""
    farms = farms_queryset.filter(status=Farm.Status.ACTIVE).order_by()
    counts = {
        "total": Count("pk"),
        "located": Count("pk", filter=located_q()),
        "ready": Count("pk", filter=ready_q()),
    }
    by_region = [
        ReadinessRow(row["region__name"], row["region__name"], row["total"], row["located"], row["ready"])
        for row in farms.values("region__name").annotate(**counts).order_by("region__name")
    ]
    enrolments = Q(member__enrollments__status__in=PARTNER_VISIBLE_ENROLMENTS)
    if programs is not None:
        enrolments &= Q(member__enrollments__program__in=programs)
    program_rows = (
        farms.filter(enrolments)
        .values("member__enrollments__program__code", "member__enrollments__program__name")
        .annotate(**counts)
        .order_by("member__enrollments__program__code")
    )
    by_program = [
        ReadinessRow(
            row["member__enrollments__program__code"],
            row["member__enrollments__program__name"],
            row["total"],
            row["located"],
            row["ready"],
        )
        for row in program_rows
    ]
    return EudrReadiness(
        total=sum(row.total for row in by_region),
        located=sum(row.located for row in by_region),
        ready=sum(row.ready for row in by_region),
        by_region=by_region,
        by_program=by_program,
    )


def readiness_farms(*, regions: QuerySet[Region]) -> QuerySet[Farm]:
    """The farms the dashboard counts: those of active members of `regions` (lazy)."""
    return Farm.objects.filter(member__region__in=regions, member__status=Member.Status.ACTIVE)


# -- export selection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EudrSelection:
    """Which farms an export covers, within the caller's scope. Empty fields do not narrow; a delivery
    period keeps the farms with a delivery (not reversed) in it."""

    program: AllianceProgram | None = None
    region: Region | None = None
    farm_ids: tuple[int, ...] = ()
    delivered_from: datetime.date | None = None
    delivered_to: datetime.date | None = None


def eudr_selection_farms(*, farms_queryset: QuerySet[Farm], selection: EudrSelection) -> QuerySet[Farm]:
    """Active farms of `farms_queryset` matching `selection`, with `eudr_status`, member and declaration
    joined. Lazy: one query once read."""
    farms = farms_queryset.filter(status=Farm.Status.ACTIVE)
    if selection.program is not None:
        enrolled = ProgramEnrollment.objects.filter(
            member=OuterRef("member"), program=selection.program, status__in=PARTNER_VISIBLE_ENROLMENTS
        )
        farms = farms.filter(Exists(enrolled))
    if selection.region is not None:
        farms = farms.filter(region=selection.region)
    if selection.farm_ids:
        farms = farms.filter(pk__in=selection.farm_ids)
    if selection.delivered_from or selection.delivered_to:
        # Deliveries of the farm in the period; a reversed one (recorded by mistake) does not count.
        deliveries = Delivery.objects.filter(farm=OuterRef("pk"), reversal__isnull=True)
        if selection.delivered_from:
            deliveries = deliveries.filter(delivered_on__gte=selection.delivered_from)
        if selection.delivered_to:
            deliveries = deliveries.filter(delivered_on__lte=selection.delivered_to)
        farms = farms.filter(Exists(deliveries))
    return with_eudr_status(farms.select_related("member")).order_by("pk")


@dataclass(frozen=True)
class ExportPreview:
    ready: int
    not_ready: int
    not_ready_farms: list[tuple[Farm, list[str]]]  # the first NOT_READY_LISTED, with their reasons

    @property
    def more_not_ready(self) -> int:
        return self.not_ready - len(self.not_ready_farms)


def eudr_export_preview(
    *, farms_queryset: QuerySet[Farm], selection: EudrSelection, limit: int = NOT_READY_LISTED
) -> ExportPreview:
    """What an export of `selection` would hold: counts, and the farms left out with why (the first
    `limit`). Cost: 3 queries (counts, the farms left out, their overlaps)."""
    farms = eudr_selection_farms(farms_queryset=farms_queryset, selection=selection)
    counts = farms.aggregate(ready=Count("pk", filter=Q(eudr_status=EudrStatus.READY)), total=Count("pk"))
    left_out = list(
        farms.exclude(eudr_status=EudrStatus.READY)
        .select_related("region")
        .prefetch_related(overlaps_prefetch())[:limit]
    )
    return ExportPreview(
        ready=counts["ready"],
        not_ready=counts["total"] - counts["ready"],
        not_ready_farms=[(farm, eudr_reasons(farm)) for farm in left_out],
    )


# -- the GeoJSON export ---------------------------------------------------------------------------------


def production_place(farm: Farm) -> str:
    """The plot's stable identifier in statements: the member's code (fixed once registered) and the farm's
    id (never reused), e.g. "M-00012-P345". The farm's name is left out: it can be edited."""
    return f"{farm.member.code}-P{farm.pk}"


def export_geometry(farm: Farm) -> dict:
    """The checked boundary, else the point (only ready farms are exported)."""
    if farm.boundary is not None and farm.boundary_area_ha is not None:
        return farm.boundary
    return {"type": "Point", "coordinates": [farm.longitude, farm.latitude]}


def _coordinates_text(node) -> str:
    """Nested positions with exactly 6 decimals per number (RFC 7946 numbers, EUDR precision)."""
    if isinstance(node, list | tuple) and node and isinstance(node[0], list | tuple):
        return "[" + ",".join(_coordinates_text(child) for child in node) + "]"
    return "[" + ",".join(f"{Decimal(repr(value)) if isinstance(value, float) else value:.6f}" for value in node) + "]"


def feature_text(farm: Farm, *, producer_name: bool) -> str:
    """One plot as a GeoJSON Feature (RFC 7946: no "crs", [longitude, latitude], 6 decimals).

    Properties: ProductionPlace, ProducerCountry, Area (ha, points only) and ProducerName, only when
    `producer_name` and the member consents to share personal data."""
    geometry = export_geometry(farm)
    properties: dict[str, Any] = {"ProductionPlace": production_place(farm), "ProducerCountry": PRODUCER_COUNTRY}
    if geometry["type"] == "Point":
        properties["Area"] = float(farm.hectares)
    if producer_name and farm.member.consents_to_share:
        properties["ProducerName"] = farm.member.full_name
    geometry_json = f'{{"type":"{geometry["type"]}","coordinates":{_coordinates_text(geometry["coordinates"])}}}'
    return (
        '{"type":"Feature","properties":'
        + json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        + ',"geometry":'
        + geometry_json
        + "}"
    )


@dataclass
class EudrExport:
    """The export's file: one GeoJSON FeatureCollection, or a ZIP of several when one would pass the limit."""

    file: IO[bytes]
    filename: str
    content_type: str
    feature_count: int
    file_sizes: list[int]


class _FeatureFiles:
    """FeatureCollections of at most `max_bytes` each. The first is kept in memory; from the second on,
    all go into a ZIP in a temporary file, so memory holds at most one file whatever the export's size."""

    HEAD = b'{"type":"FeatureCollection","features":['
    TAIL = b"]}"

    def __init__(self, max_bytes: int, stem: str) -> None:
        self.max_bytes = max_bytes
        self.stem = stem
        self.parts: list[bytes] = []
        self.size = len(self.HEAD) + len(self.TAIL)
        self.sizes: list[int] = []
        self.first: bytes | None = None
        self.archive: zipfile.ZipFile | None = None
        self.archive_file: IO[bytes] | None = None
        self.count = 0

    def add(self, feature: bytes) -> None:
        if len(self.HEAD) + len(feature) + len(self.TAIL) > self.max_bytes:
            raise ValidationError(_("A single plot's boundary is larger than the file size limit."))
        added = len(feature) + (1 if self.parts else 0)
        if self.size + added > self.max_bytes:
            self._close_file()
            added = len(feature)
        self.parts.append(feature)
        self.size += added
        self.count += 1

    def _name(self, number: int) -> str:
        return f"{self.stem}-{number:02d}.geojson"

    def _close_file(self) -> None:
        content = self.HEAD + b",".join(self.parts) + self.TAIL
        self.sizes.append(len(content))
        self.parts, self.size = [], len(self.HEAD) + len(self.TAIL)
        if len(self.sizes) == 1:
            self.first = content
            return
        if self.archive is None:
            self.archive_file = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
            self.archive = zipfile.ZipFile(self.archive_file, "w", compression=zipfile.ZIP_DEFLATED)
            self.archive.writestr(self._name(1), self.first)
            self.first = None
        self.archive.writestr(self._name(len(self.sizes)), content)

    def finish(self) -> EudrExport:
        if self.parts or not self.sizes:
            self._close_file()
        if self.archive is None:
            return EudrExport(
                io.BytesIO(self.first), f"{self.stem}.geojson", GEOJSON_CONTENT_TYPE, self.count, self.sizes
            )
        self.archive.close()
        self.archive_file.seek(0)
        return EudrExport(self.archive_file, f"{self.stem}.zip", ZIP_CONTENT_TYPE, self.count, self.sizes)


def eudr_export_build(
    *,
    farms_queryset: QuerySet[Farm],
    selection: EudrSelection,
    producer_name: bool = False,
    max_file_bytes: int | None = None,
) -> EudrExport:
    """The EUDR-ready farms of `selection` as GeoJSON FeatureCollections, one Feature per plot, each file
    at most `max_file_bytes` (settings.EUDR_EXPORT_MAX_FILE_BYTES, 25 MB by default), several files in a
    ZIP. Farms not ready are left out (eudr_export_preview lists them). Cost: one query, whatever the
    number of farms (read in chunks of 2,000 from one cursor), besides what `selection` needed."""
    max_bytes = max_file_bytes or getattr(settings, "EUDR_EXPORT_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
    files = _FeatureFiles(max_bytes, f"eudr-{timezone.localdate().isoformat()}")
    farms = eudr_selection_farms(farms_queryset=farms_queryset, selection=selection).filter(
        eudr_status=EudrStatus.READY
    )
    for farm in farms.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        files.add(feature_text(farm, producer_name=producer_name).encode())
    return files.finish()


# -- the map --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFeatures:
    features: list[dict]
    truncated: bool  # more farms match than MAP_FEATURE_LIMIT: zoom in (the map sends its bounding box)


def eudr_map_features(
    *,
    farms_queryset: QuerySet[Farm],
    bbox: tuple[float, float, float, float] | None = None,
    limit: int | None = None,
    exclude_pk: int | None = None,
) -> MapFeatures:
    """GeoJSON Features of the active farms with a point or a boundary (within `bbox`, west, south, east,
    north, when given), at most `limit`, with status and reasons. Cost: 2 queries (the farms with member
    and declaration joined, their overlaps), whatever the number of farms."""
    limit = limit or MAP_FEATURE_LIMIT
    farms = farms_queryset.filter(status=Farm.Status.ACTIVE).filter(
        Q(boundary__isnull=False) | Q(latitude__isnull=False)
    )
    if exclude_pk is not None:
        farms = farms.exclude(pk=exclude_pk)
    if bbox is not None:
        west, south, east, north = bbox
        boxes_meet = Q(bbox_min_lon__lte=east, bbox_max_lon__gte=west, bbox_min_lat__lte=north, bbox_max_lat__gte=south)
        point_inside = Q(
            bbox_min_lon__isnull=True,
            longitude__gte=west,
            longitude__lte=east,
            latitude__gte=south,
            latitude__lte=north,
        )
        farms = farms.filter(boxes_meet | point_inside)
    rows = list(
        with_eudr_status(farms.select_related("member"))
        .prefetch_related(overlaps_prefetch())
        .order_by("pk")[: limit + 1]
    )
    features = []
    for farm in rows[:limit]:
        geometry = farm.boundary or {"type": "Point", "coordinates": [float(farm.longitude), float(farm.latitude)]}
        features.append(
            {
                "type": "Feature",
                "id": farm.pk,
                "geometry": geometry,
                "properties": {
                    "name": farm.name,
                    "member": farm.member.code,
                    "hectares": str(farm.hectares),
                    "status": farm.eudr_status,
                    "status_label": str(EudrStatus(farm.eudr_status).label),
                    "reasons": eudr_reasons(farm),
                },
            }
        )
    return MapFeatures(features=features, truncated=len(rows) > limit)


def parse_farm_ids(value: str | Iterable[str]) -> tuple[int, ...]:
    """Farm ids from "12, 15 18" (commas or spaces), or a list of such strings. Raises ValueError with a
    translated message for anything else, or more than 10,000 ids."""
    items = [value] if isinstance(value, str) else list(value)
    ids = []
    for item in items:
        for part in item.replace(",", " ").split():
            if not (part.isascii() and part.isdigit()) or not 0 < int(part) < 2**63:
                raise ValueError(_("“%(value)s” is not a farm id (a whole number).") % {"value": part[:20]})
            ids.append(int(part))
    if len(ids) > 10_000:
        raise ValueError(_("At most 10,000 farm ids at a time."))
    return tuple(dict.fromkeys(ids))
