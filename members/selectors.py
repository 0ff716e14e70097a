"""Reads for the members pages and exports. Each selector owns its joins, so its query count does not grow with
its rows; the cost is stated in each docstring. Scope: a user sees the members whose region one of their roles
covers (cooperative.selectors.regions_in_scope)."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from cooperative.selectors import regions_in_scope
from members.filters import NOTABLE_SEVERITY, VisitFilter
from members.models import Farm, FarmVisit, Member, VisitPestObservation, VisitPhoto

HECTARE_PLACES = Decimal("0.01")


def members_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Member]:
    """Members whose region the user's roles (all of them, or only `roles`) cover. One query (the scope check);
    the regions stay a subquery of the returned, lazy queryset."""
    return members_in_regions(regions_in_scope(user, roles))


def members_in_regions(regions: QuerySet[Region]) -> QuerySet[Member]:
    """Members of `regions` (a scope already read, so no second scope query); lazy, `regions` a subquery."""
    return Member.objects.filter(region__in=regions)


def farms_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Farm]:
    """Farms of the members in scope (the member's region decides, as on the members list), member joined."""
    return farms_in_regions(regions_in_scope(user, roles)).select_related("member")


def farms_in_regions(regions: QuerySet[Region]) -> QuerySet[Farm]:
    """Farms of the members of `regions` (the member's region decides; no second scope query); lazy."""
    return Farm.objects.filter(member__region__in=regions)


def crop_count_name(crop: str) -> str:
    return f"active_{crop}_farms"


class _HectaresField(DecimalField):
    """Sums of hectares quantized to 2 places: SQLite sums decimals as floats (2.5 rather than 2.50)."""

    def from_db_value(self, value, expression, connection) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(HECTARE_PLACES)


def with_farm_totals(queryset: QuerySet[Member]) -> QuerySet[Member]:
    """Annotate each member's active farms: `farm_count`, `total_hectares` (Decimal, 0 without farms) and
    `active_<crop>_farms` for each crop. One GROUP BY over the farms, in the same query as the members."""
    active = Q(farms__status=Farm.Status.ACTIVE)
    hectares = _HectaresField(max_digits=12, decimal_places=2)
    return queryset.annotate(
        farm_count=Count("farms", filter=active),
        total_hectares=Coalesce(
            Sum("farms__hectares", filter=active, output_field=hectares), Value(Decimal("0.00")), output_field=hectares
        ),
        **{crop_count_name(crop): Count("farms", filter=active & Q(farms__crop=crop)) for crop in Crop.values},
    )


def active_crops(member: Member) -> list[str]:
    """The crops (Crop values) of the member's active farms; needs with_farm_totals."""
    return [crop for crop in Crop.values if getattr(member, crop_count_name(crop))]


# The names with_farm_totals annotates.
FARM_TOTAL_NAMES = ("farm_count", "total_hectares", *(crop_count_name(crop) for crop in Crop.values))


# -- farm visits ------------------------------------------------------------------------------------------------


def _ordered_pests() -> QuerySet[VisitPestObservation]:
    return VisitPestObservation.objects.order_by("-severity", "pest")


def notable_pests() -> Prefetch:
    """Prefetch of each visit's pests at NOTABLE_SEVERITY or above, worst first, as `visit.notable_pests`."""
    return Prefetch(
        "pest_observations", queryset=_ordered_pests().filter(severity__gte=NOTABLE_SEVERITY), to_attr="notable_pests"
    )


def _all_pests() -> Prefetch:
    """Prefetch of every pest observation of each visit (severity 0 = looked for, absent), worst first, as
    `visit.pest_list`."""
    return Prefetch("pest_observations", queryset=_ordered_pests(), to_attr="pest_list")


def _visits_filtered(
    user: AbstractBaseUser, roles: Iterable[str] | None, filters: Mapping[str, Any] | None
) -> QuerySet[FarmVisit]:
    regions = regions_in_scope(user, roles)
    visits = (
        FarmVisit.objects.filter(farm__member__region__in=regions)
        .select_related("farm__member__region", "technician")
        .order_by("-visited_on", "-id")
    )
    return VisitFilter(filters or {}, queryset=visits, regions=regions).qs


def visits_for_list(
    *, user: AbstractBaseUser, roles: Iterable[str] | None = None, filters: Mapping[str, Any] | None = None
) -> QuerySet[FarmVisit]:
    """Farm visits whose member is in the regions the user's roles (all, or only `roles`) cover, matching
    `filters` (the list's query parameters, see VisitFilter; invalid values are left out), newest first,
    with farm, member, member's region and technician joined and `notable_pests` prefetched.

    Cost: one query for the scope, up to two to check the technician and region chosen, then one query
    for the rows and one for their pests however many there are (a paginator adds a COUNT).
    """
    return _visits_filtered(user, roles, filters).prefetch_related(notable_pests())


def visits_for_export(
    *, user: AbstractBaseUser, roles: Iterable[str] | None = None, filters: Mapping[str, Any] | None = None
) -> QuerySet[FarmVisit]:
    """The visits of visits_for_list, with every pest observation prefetched as `pest_list` instead. Read
    with iterator(chunk_size=...): one query for the rows and one for their pests per chunk."""
    return _visits_filtered(user, roles, filters).prefetch_related(_all_pests())


def farm_visit_timeline(*, farm: Farm) -> QuerySet[FarmVisit]:
    """The farm's visits, newest first, with technician joined, every pest observation (`pest_list`) and the
    photos in position order (`photo_list`) prefetched. Lazy; once read, three queries however many visits:
    the visits, their pests, their photos (a paginator adds a COUNT)."""
    return (
        FarmVisit.objects.filter(farm=farm)
        .select_related("technician")
        .prefetch_related(
            _all_pests(), Prefetch("photos", queryset=VisitPhoto.objects.order_by("position"), to_attr="photo_list")
        )
        .order_by("-visited_on", "-id")
    )


def visit_photos_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[VisitPhoto]:
    """Photos of the visits to farms whose member is in the user's regions (as farms_in_scope). One query for
    the scope; the regions stay a subquery."""
    return VisitPhoto.objects.filter(visit__farm__member__region__in=regions_in_scope(user, roles))


# -- program enrolments ----------------------------------------------------------------------------------------


def counted_enrolments(enrolments: QuerySet[ProgramEnrollment] | None = None) -> QuerySet[ProgramEnrollment]:
    """Who counts in a program: the active enrolments (of `enrolments`, by default all) of members who have not
    withdrawn from the cooperative. A withdrawal closes the member's enrolments; one left active still does
    not count. Lazy. A partner sees more (completed enrolments too): ProgramEnrollment.objects.visible_to_partners()."""
    enrolments = ProgramEnrollment.objects.all() if enrolments is None else enrolments
    return enrolments.filter(status=ProgramEnrollment.Status.ACTIVE).exclude(member__status=Member.Status.WITHDRAWN)


def program_enrolments(program: AllianceProgram, *, regions: QuerySet[Region]) -> QuerySet[ProgramEnrollment]:
    """The program's enrolments (any status) of members in `regions`, member and region joined, by code."""
    return (
        ProgramEnrollment.objects.filter(program=program, member__region__in=regions)
        .select_related("member__region")
        .order_by("member__code")
    )


def members_to_enrol(
    program: AllianceProgram, *, region: Region, crop: str = "", community: str = ""
) -> QuerySet[Member]:
    """Active members of `region` not yet enrolled in the program (under any status), ordered by code.

    `crop`: only members farming it on an active farm; `community`: part of the member's community name
    (case-insensitive). Lazy; no DISTINCT needed.
    """
    members = Member.objects.filter(status=Member.Status.ACTIVE, region=region).exclude(
        Exists(ProgramEnrollment.objects.filter(program=program, member=OuterRef("pk")))
    )
    if crop:
        members = members.filter(
            Exists(Farm.objects.filter(member=OuterRef("pk"), crop=crop, status=Farm.Status.ACTIVE))
        )
    if community:
        members = members.filter(community__icontains=community)
    return members.select_related("region").order_by("code")
