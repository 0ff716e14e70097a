"""The members list and its exports: the search, filters and sort order (MemberFilter) and the members they
select (members_for_list, member_page). The filters read members, their farms, program enrolments and
certifications, so the list is composed here, above those apps; its writes stay on members' pages.

Bad values never fail the request: an invalid field gets a form error and is left out of the filtering.
"""

from collections.abc import Mapping
from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from certifications.models import Certification, CertificationStatus, Standard
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from cooperative.search import folded_contains
from cooperative.selectors import regions_in_scope
from members.models import Farm, Member
from members.selectors import FARM_TOTAL_NAMES, active_crops, with_farm_totals

# Sortable columns: {queryset expression: query parameter}. `total_hectares` is annotated by the selector.
SORT_FIELDS = {
    "code": "code",
    "last_names": "last_names",
    "region__name": "region",
    "community": "community",
    "total_hectares": "hectares",
    "status": "status",
}
SORT_LABELS = {
    "code": _("Member code"),
    "last_names": _("Last names"),
    "region__name": _("Region"),
    "community": _("Community"),
    "total_hectares": _("Total hectares"),
    "status": _("Status"),
}


class SortFilter(django_filters.OrderingFilter):
    """Whitelisted ordering with the primary key last, so pages never overlap when values tie."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param]
        return qs.order_by(*ordering, "pk")


class MemberFilter(django_filters.FilterSet):
    """Filters over the members of `regions` (the user's regions, by default; members_for_list passes its
    annotated queryset). The region choices, and the programs offered, are limited to `regions` too.
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Name, member code or DNI."),
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=Region.objects.none(), empty_label=_("Any region")
    )
    community = django_filters.CharFilter(label=_("Community"), lookup_expr="icontains")
    crop = django_filters.ChoiceFilter(
        label=_("Crop"), choices=Crop.choices, method="filter_crop", empty_label=_("Any crop")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Member.Status.choices, empty_label=_("Any status"))
    # Standard and certification status are applied together in filter_queryset: both must hold for the
    # same certification (a farm "certified under Organic", not "Organic candidate and certified elsewhere").
    standard = django_filters.ModelChoiceFilter(
        label=_("Certification standard"),
        queryset=Standard.objects.all(),
        to_field_name="code",
        method="filter_later",
        empty_label=_("Any standard"),
    )
    certification_status = django_filters.ChoiceFilter(
        label=_("Certification status"),
        choices=CertificationStatus.choices,
        method="filter_later",
        empty_label=_("Any certification status"),
    )
    program = django_filters.ModelChoiceFilter(
        label=_("Program"),
        queryset=AllianceProgram.objects.none(),
        method="filter_program",
        empty_label=_("Any program"),
    )
    sort = SortFilter(label=_("Sort by"), fields=SORT_FIELDS, field_labels=SORT_LABELS, empty_label=None)

    class Meta:
        model = Member
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        if queryset is None:
            queryset = Member.objects.filter(region__in=regions).order_by("code", "pk")
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions
        self.filters["program"].queryset = (
            AllianceProgram.objects.filter(regions__in=regions).distinct().order_by("code")
        )

    def search(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        """Every word must appear in the first names, last names, member code or DNI, ignoring accents and case
        in the names ("nunez" finds Núñez: cooperative.search)."""
        for word in value.split():
            queryset = queryset.filter(
                folded_contains("first_names", "last_names", word=word)
                | Q(code__icontains=word)
                | Q(dni__icontains=word)
            )
        return queryset

    def filter_crop(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        """Members with an active farm of the crop."""
        return queryset.filter(
            Exists(Farm.objects.filter(member=OuterRef("pk"), crop=value, status=Farm.Status.ACTIVE))
        )

    def filter_program(self, queryset: QuerySet[Member], name: str, value: AllianceProgram) -> QuerySet[Member]:
        """Members enrolled in the program (an enrolment that was withdrawn does not count)."""
        return queryset.filter(
            Exists(
                ProgramEnrollment.objects.filter(member=OuterRef("pk"), program=value).exclude(
                    status=ProgramEnrollment.Status.WITHDRAWN
                )
            )
        )

    def filter_later(self, queryset: QuerySet[Member], name: str, value: Any) -> QuerySet[Member]:
        return queryset  # applied in filter_queryset, together with its partner field

    def filter_queryset(self, queryset: QuerySet[Member]) -> QuerySet[Member]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        conditions: dict[str, Any] = {}
        if data.get("standard"):
            conditions["standard"] = data["standard"]
        if data.get("certification_status"):
            conditions["status"] = data["certification_status"]
        if conditions:
            queryset = queryset.filter(Exists(Certification.objects.filter(farm__member=OuterRef("pk"), **conditions)))
        return queryset


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
            for name in FARM_TOTAL_NAMES:
                setattr(row, name, getattr(totals[row.pk], name))
    for row in rows:
        row.crop_names = [Crop(crop).label for crop in active_crops(row)]
    page.object_list = rows
    return page
