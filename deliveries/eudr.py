"""The EUDR export's selection: which farms a statement covers (a program, a region, farm ids, and the farms
that delivered in a period), what an export of them would hold (eudr_export_preview) and the export itself
(eudr_export_build; members.eudr.geojson writes the file). The staff export page and the partner API call these.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cooperative.models import AllianceProgram, ProgramEnrollment, Region
from deliveries.models import Delivery
from members.eudr.geojson import EudrExport, geojson_export
from members.eudr.status import EudrStatus, eudr_reasons, overlaps_prefetch, with_eudr_status
from members.models import Farm

EXPORT_CHUNK_SIZE = 2000
NOT_READY_LISTED = 200


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
    """Active farms of `farms_queryset` matching `selection` (their stored `eudr_status` to filter on), member and
    declaration joined. Lazy: one query once read."""
    farms = farms_queryset.filter(status=Farm.Status.ACTIVE)
    if selection.program is not None:
        enrolled = ProgramEnrollment.objects.visible_to_partners().filter(
            member=OuterRef("member"), program=selection.program
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
    farms = eudr_selection_farms(farms_queryset=farms_queryset, selection=selection).filter(
        eudr_status=EudrStatus.READY
    )
    return geojson_export(
        farms.iterator(chunk_size=EXPORT_CHUNK_SIZE), producer_name=producer_name, max_file_bytes=max_file_bytes
    )


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
