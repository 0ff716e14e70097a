"""Reads for the members pages and exports. Each selector owns its joins, so its query count does not grow with
its rows; the cost is stated in each docstring. Scope: a user sees the members whose region one of their roles
covers (cooperative.selectors.regions_in_scope)."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from cooperative.selectors import regions_in_scope
from members.filters import NOTABLE_SEVERITY, SORT_FIELDS, MemberFilter, VisitFilter
from members.models import Farm, FarmVisit, Member, VisitPestObservation, VisitPhoto

HECTARE_PLACES = Decimal("0.01")


def members_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Member]:
    """Members whose region the user's roles (all of them, or only `roles`) cover. One query (the scope check);
    the regions stay a subquery of the returned, lazy queryset."""
    return Member.objects.filter(region__in=regions_in_scope(user, roles))


def farms_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Farm]:
    """Farms of the members in scope (the member's region decides, as on the members list), member joined."""
    return Farm.objects.filter(member__region__in=regions_in_scope(user, roles)).select_related("member")


def _crop_count_name(crop: str) -> str:
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
        **{_crop_count_name(crop): Count("farms", filter=active & Q(farms__crop=crop)) for crop in Crop.values},
    )


def active_crops(member: Member) -> list[str]:
    """The crops (Crop values) of the member's active farms; needs with_farm_totals."""
    return [crop for crop in Crop.values if getattr(member, _crop_count_name(crop))]


def members_for_list(
    *, user: AbstractBaseUser, filters: Mapping[str, Any] | None = None, totals: bool = True
) -> QuerySet[Member]:
    """Members in the user's regions that match `filters` (the list's query parameters, see MemberFilter;
    invalid values are left out), sorted by `filters["sort"]` (member code by default), with their region
    joined and, with `totals`, their farm totals annotated (with_farm_totals). Without `totals` the farms
    are joined only when the sort order needs them (total hectares): see member_page.

    Cost: one query for the scope, up to three to check the region, standard and program chosen, then one
    query for the rows however many there are (a paginator adds a COUNT).
    """
    regions = regions_in_scope(user)
    members = Member.objects.filter(region__in=regions).select_related("region").order_by("code", "pk")
    if totals or _sorts_by_totals(filters):
        members = with_farm_totals(members)
    return MemberFilter(filters or {}, queryset=members, regions=regions).qs


def _sorts_by_totals(filters: Mapping[str, Any] | None) -> bool:
    return bool(filters) and str(filters.get("sort", "")).lstrip("-") == SORT_FIELDS["total_hectares"]


class _SmallSetPaginator(Paginator):
    """Reads a small result whole and slices it here.

    PostgreSQL plans `ORDER BY code LIMIT 50` as a walk along the code index, expecting matches all along it;
    for a search matching a handful of members (a DNI) that walk reads most of the table. Without LIMIT the
    search uses its trigram indexes and sorts the few rows found. Above SMALL_RESULT rows the walk is right.
    """

    SMALL_RESULT = 1000

    def page(self, number: Any) -> Page:
        if self.count > self.SMALL_RESULT:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(list(self.object_list)[bottom : bottom + self.per_page], number, self)


def member_page(*, user: AbstractBaseUser, filters: Mapping[str, Any] | None, number: Any, per_page: int) -> Page:
    """One page of members_for_list, each member with its farm totals and `crop_names`.

    The COUNT and the page's rows run on the members alone (indexes; no GROUP BY over every farm), then
    one more query adds the totals of the page's members only. Cost: members_for_list's, plus the COUNT,
    the rows and the totals (three queries however many members there are).
    """
    members = members_for_list(user=user, filters=filters, totals=False)
    page = _SmallSetPaginator(members, per_page).get_page(number)
    rows = list(page.object_list)
    if rows and not hasattr(rows[0], "farm_count"):
        totals = {
            member.pk: member
            for member in with_farm_totals(Member.objects.filter(pk__in=[row.pk for row in rows]).order_by())
        }
        for row in rows:
            for name in _TOTAL_NAMES:
                setattr(row, name, getattr(totals[row.pk], name))
    for row in rows:
        row.crop_names = [Crop(crop).label for crop in active_crops(row)]
    page.object_list = rows
    return page


_TOTAL_NAMES = ("farm_count", "total_hectares", *(_crop_count_name(crop) for crop in Crop.values))


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
