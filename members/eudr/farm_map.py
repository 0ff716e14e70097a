"""The EUDR map's data: the active farms with a point or a boundary, as GeoJSON Features with their status
and reasons."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from members.eudr.status import EudrStatus, eudr_reasons, overlaps_prefetch, with_eudr_status
from members.models import Farm

MAP_FEATURE_LIMIT = 1000


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
