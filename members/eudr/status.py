"""What EUDR-ready means (the rules listed in members.eudr): the thresholds, each farm's status as a SQL
expression (eudr_status_expression, the one source of the rule), stored on the farm by refresh_eudr_status in the
transaction of every write that changes its inputs, and the reasons a farm is not ready, in words (eudr_reasons)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from members.geometry import area_difference_share
from members.models import EudrStatus, Farm, FarmDeforestationDeclaration, FarmOverlap, LandUse2020

# EudrStatus is defined with the Farm that stores it (members.models); callers may import it from here too.

# EUDR art. 2(28): a plot of more than 4 ha is described by a polygon; a smaller one may be a point.
POINT_MAX_HECTARES = Decimal("4")
# A measured area this far (as a share of the declared hectares) from the declared one is reviewed.
AREA_TOLERANCE = 0.20
AREA_TOLERANCE_DECIMAL = Decimal("0.20")
# Neighbours' boundaries walked separately overlap in slivers along the shared edge (GPS error): an
# overlap counts when it is larger than both 0.01 ha (100 m²) and 1% of the smaller plot.
OVERLAP_MIN_HA = Decimal("0.01")
OVERLAP_SHARE = Decimal("0.01")
CUT_OFF_DATE = datetime.date(2020, 12, 31)


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

    Compared whenever the status is refreshed (a change of the hectares refreshes it) rather than taken from
    the stored `area_flagged` (set when the geometry is recorded), so that correcting the hectares on the farm
    form settles the flag at once."""
    return Q(boundary_area_ha__gt=F("hectares") * (1 + AREA_TOLERANCE_DECIMAL)) | Q(
        boundary_area_ha__lt=F("hectares") * (1 - AREA_TOLERANCE_DECIMAL)
    )


def ready_q() -> Q:
    """EUDR-ready farms (see members.eudr), from the source rows; readers filter on the stored
    `eudr_status` instead."""
    return (
        located_q()
        & Q(status=Farm.Status.ACTIVE)
        & ~area_mismatch_q()
        & ~Q(_overlap_exists())
        & Q(_declared_not_forest())
    )


def eudr_status_expression() -> Case:
    """The farm's EUDR status (EudrStatus value) as a SQL expression over its own row, its overlaps and its
    declaration: missing geometry without a valid geolocation, else ready (ready_q), else to review (a retired
    farm with a geolocation included). The rule itself: what refresh_eudr_status stores and what
    members.read_models.reconcile_farm_eudr_status compares the stored column with."""
    return Case(
        When(~located_q(), then=Value(EudrStatus.MISSING_GEOMETRY)),
        When(ready_q(), then=Value(EudrStatus.READY)),
        default=Value(EudrStatus.FLAGGED),
    )


def refresh_eudr_status(farm_ids: Iterable[int]) -> int:
    """Store the EUDR status of the farms `farm_ids` and of the farms that overlap them (a farm's overlaps count
    only while the other farm is active, so a change of one farm's boundary or status changes its neighbours'
    status too). Call it inside the write's transaction, after the write: after a boundary is replaced, with the
    farms the old boundary overlapped as well. Returns the number of rows written.

    Cost: one UPDATE (its rule evaluated per row by index lookups on the overlaps and the declaration); the
    rows are locked until the transaction ends. Two neighbours changed at the same instant may wait for each
    other's row: PostgreSQL then ends one transaction with a deadlock error (nothing written by it)."""
    ids = list(dict.fromkeys(farm_ids))
    if not ids:
        return 0
    neighbours = FarmOverlap.objects.filter(other_farm_id__in=ids).values("farm_id")
    return Farm.objects.filter(Q(pk__in=ids) | Q(pk__in=neighbours)).update(eudr_status=eudr_status_expression())


def with_eudr_status(farms: QuerySet[Farm]) -> QuerySet[Farm]:
    """The farms with their declaration joined, for the reasons (eudr_reasons); the status is the stored
    `eudr_status` column. No query of its own."""
    return farms.select_related("deforestation_declaration")


def overlaps_prefetch() -> Prefetch:
    """The farm's overlaps with active farms, other farm and its member joined, as `overlap_list`."""
    return Prefetch(
        "overlaps",
        queryset=FarmOverlap.objects.filter(other_farm__status=Farm.Status.ACTIVE)
        .select_related("other_farm__member")
        .order_by("-overlap_ha", "other_farm_id"),
        to_attr="overlap_list",
    )


def point_too_large_message(farm: Farm) -> str:
    return _(
        "The plot has %(hectares)s ha: over %(limit)s ha the EUDR needs a polygon of the boundary, a point is not "
        "enough."
    ) % {"hectares": farm.hectares, "limit": POINT_MAX_HECTARES}


def area_message(measured: Decimal, declared: Decimal) -> str:
    return _(
        "The boundary measures %(measured)s ha but %(declared)s ha are declared (more than 20%% apart): check "
        "the boundary or correct the hectares."
    ) % {"measured": measured.quantize(Decimal("0.01")), "declared": declared}


def overlap_message(other: Farm, hectares: Decimal) -> str:
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
                reasons.append(point_too_large_message(farm))
    if (
        farm.boundary_area_ha is not None
        and area_difference_share(farm.boundary_area_ha, farm.hectares) > AREA_TOLERANCE
    ):
        reasons.append(area_message(farm.boundary_area_ha, farm.hectares))
    overlaps = getattr(farm, "overlap_list", None)
    if overlaps is None:
        overlaps = list(
            FarmOverlap.objects.filter(farm=farm, other_farm__status=Farm.Status.ACTIVE).select_related(
                "other_farm__member"
            )
        )
    reasons += [overlap_message(overlap.other_farm, overlap.overlap_ha) for overlap in overlaps]
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


def farm_eudr_status(farm: Farm) -> tuple[str, list[str]]:
    """The farm's stored EUDR status (EudrStatus value) and the reasons, from its rows. Two queries (the farm
    with its declaration, its overlaps)."""
    annotated = (
        with_eudr_status(Farm.objects.filter(pk=farm.pk).select_related("member"))
        .prefetch_related(overlaps_prefetch())
        .get()
    )
    return annotated.eudr_status, eudr_reasons(annotated)
