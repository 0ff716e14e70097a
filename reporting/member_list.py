"""The members list and its exports: the search, filters and sort order (MemberFilter) and the members they
select (members_for_list, member_page). The filters read members, their farms, program enrolments and
certifications, so the list is composed here, above those apps; its writes stay on members' pages.

Pages are read by keyset (a cursor), not by OFFSET: each sort order is (column, primary key) in one direction,
along an index of the same columns (members.models.Member's indexes; the region's name is joined), and a page
is the rows after (or before) the last (first) row of the page the visitor came from, so page 5,000 costs what
page 1 costs. Bad values never fail the request: an invalid field gets a form error and is left out of the
filtering; a cursor that cannot be read (tampered, cut, from another sort order) gives the first page.
"""

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.translation import gettext_lazy as _

from certifications.models import Certification, CertificationStatus, Standard
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from cooperative.search import folded_contains
from cooperative.selectors import regions_in_scope
from members.models import Farm, Member
from members.selectors import FARM_TOTAL_NAMES, active_crops, with_farm_totals

# Sortable columns: {queryset expression: query parameter}. Hectares are the stored sum of the active farms
# (Member.active_hectares, kept by the farm services), so that order is an index walk too.
SORT_FIELDS = {
    "code": "code",
    "last_names": "last_names",
    "region__name": "region",
    "community": "community",
    "active_hectares": "hectares",
    "status": "status",
}
SORT_LABELS = {
    "code": _("Member code"),
    "last_names": _("Last names"),
    "region__name": _("Region"),
    "community": _("Community"),
    "active_hectares": _("Total hectares"),
    "status": _("Status"),
}
DEFAULT_ORDERING = ("code", "pk")


class SortFilter(django_filters.OrderingFilter):
    """Whitelisted ordering by one column, with the primary key last in the same direction: pages never
    overlap when values tie, and each order is one index read forwards or backwards."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        params = [param for param in value or () if param]
        if not params:
            return qs
        field = self.get_ordering_value(params[0])
        return qs.order_by(field, "-pk" if field.startswith("-") else "pk")


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
            queryset = Member.objects.filter(region__in=regions).order_by(*DEFAULT_ORDERING)
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
    invalid values are left out), sorted by `filters["sort"]` (member code by default) and then the primary
    key, with their region joined and, with `totals`, their farm totals annotated (with_farm_totals). The
    exports read it whole, in this order; the list reads it a page at a time (member_page).

    Cost: one query for the scope, up to three to check the region, standard and program chosen, then one
    query for the rows however many there are.
    """
    regions = regions_in_scope(user)
    members = Member.objects.filter(region__in=regions).select_related("region").order_by(*DEFAULT_ORDERING)
    if totals:
        members = with_farm_totals(members)
    return MemberFilter(filters or {}, queryset=members, regions=regions).qs


# -- keyset pages ----------------------------------------------------------------------------------------------

# A result up to this size is read whole (without LIMIT) and cut here; see member_page.
SMALL_RESULT = 1000
MAX_HECTARES_SUM = Decimal(10) ** 10  # Member.active_hectares: 12 digits, 2 of them decimals


@dataclass(frozen=True)
class _Cursor:
    """Where a page starts: after (`backward` False) or before the row whose sort key is (`value`, `pk`) in
    the order `ordering` (e.g. "-active_hectares"); `position` is the page's first row's number (1-based)."""

    ordering: str
    value: Any
    pk: int
    backward: bool
    position: int

    def encode(self) -> str:
        value = str(self.value) if isinstance(self.value, Decimal) else self.value
        text = json.dumps([self.ordering, value, self.pk, int(self.backward), self.position], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_cursor(raw: str | None, ordering: str) -> _Cursor | None:
    """The cursor `raw` when it is one this list wrote for `ordering`; None (the first page) otherwise."""
    if not raw or len(raw) > 1000:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        cursor_ordering, value, pk, backward, position = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        return None
    if cursor_ordering != ordering or not isinstance(value, str) or backward not in (0, 1):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (pk, position)):
        return None
    if ordering.lstrip("-") == "active_hectares":
        try:
            value = Decimal(value)
        except InvalidOperation:
            return None
        if not value.is_finite() or abs(value) >= MAX_HECTARES_SUM:  # beyond the column, PostgreSQL refuses it
            return None
    return _Cursor(ordering, value, pk, bool(backward), position)


def _ordering_of(members: QuerySet[Member]) -> str:
    """The column `members` is sorted by, "-" first when descending (its order_by is (column, pk))."""
    return str(members.query.order_by[0]) if members.query.order_by else DEFAULT_ORDERING[0]


def _sort_value(member: Member, ordering: str) -> Any:
    value: Any = member
    for part in ordering.lstrip("-").split("__"):
        value = getattr(value, part)
    return value


def _beyond(cursor: _Cursor) -> Q | TupleGreaterThan | TupleLessThan:
    """The rows after the cursor's row in its order (before it, for a backward cursor): one row-value
    comparison, (column, pk) > (value, pk), which PostgreSQL reads as a range of the (column, id) index."""
    descending = cursor.ordering.startswith("-")
    lookup = TupleLessThan if descending != cursor.backward else TupleGreaterThan
    return lookup(Tuple(F(cursor.ordering.lstrip("-")), F("pk")), (cursor.value, cursor.pk))


@dataclass
class MemberPage:
    """One page of the members list: its `members`, how many match (`count`), the number of the first one
    (`start`, 1-based) and the cursors of the pages next to it (None at either end)."""

    members: list[Member]
    count: int
    start: int
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, index: int) -> Member:
        return self.members[index]

    @property
    def end(self) -> int:
        return self.start + len(self.members) - 1


def _rows(members: QuerySet[Member], count: int, limit: int) -> list[Member]:
    """The first `limit` rows of `members`. PostgreSQL plans `ORDER BY code LIMIT 50` as a walk along the code
    index, expecting matches all along it; for a search matching a handful of members (a DNI) that walk reads
    most of the table. So a result of up to SMALL_RESULT rows is read whole, without LIMIT: the search uses its
    trigram indexes and sorts the few rows found. Above that the walk is right. One query either way."""
    if count <= SMALL_RESULT:
        return list(members)[:limit]
    return list(members[:limit])


def member_page(
    *, user: AbstractBaseUser, filters: Mapping[str, Any] | None, cursor: str | None, per_page: int
) -> MemberPage:
    """The page of members_for_list that `cursor` points to (the first page without one, or with one that
    cannot be read), each member with its farm totals (with_farm_totals) and `crop_names`.

    The COUNT and the page's rows run on the members alone (indexes; no GROUP BY over every farm): the rows
    are the per_page + 1 after the cursor's row along the sort order's index (the extra one tells whether a
    next page exists), then one more query adds the totals of the page's members only. Cost:
    members_for_list's, plus the COUNT, the rows and the totals (three queries), the same on every page; only
    a backward cursor that meets the start of the list with a short page (rows were added or deleted since)
    reads the first page again (one query more).
    """
    members = members_for_list(user=user, filters=filters, totals=False)
    ordering = _ordering_of(members)
    count = members.count()
    after = _read_cursor(cursor, ordering)
    if after is None:
        rows = _rows(members, count, per_page + 1)
        page = _page(rows[:per_page], count, 1, ordering, per_page, more_after=len(rows) > per_page, first=True)
    elif not after.backward:
        rows = _rows(members.filter(_beyond(after)), count, per_page + 1)
        start = min(after.position, max(count - len(rows[:per_page]) + 1, 1))
        page = _page(rows[:per_page], count, start, ordering, per_page, more_after=len(rows) > per_page, first=False)
    else:
        rows = _rows(members.filter(_beyond(after)).reverse(), count, per_page + 1)
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if not more_before and len(rows) < per_page:
            rows = _rows(members, count, per_page + 1)  # the list changed under the cursor: start over
            page = _page(rows[:per_page], count, 1, ordering, per_page, more_after=len(rows) > per_page, first=True)
        else:
            start = 1 if not more_before else max(after.position, 2)
            page = _page(rows, count, start, ordering, per_page, more_after=True, first=not more_before)
    _add_totals(page.members)
    return page


def _page(
    rows: list[Member], count: int, start: int, ordering: str, per_page: int, *, more_after: bool, first: bool
) -> MemberPage:
    """The page of `rows` (the `start`-th row first), with the cursors of its neighbours."""
    next_cursor = previous_cursor = None
    if rows and more_after:
        last = rows[-1]
        next_cursor = _Cursor(ordering, _sort_value(last, ordering), last.pk, False, start + len(rows)).encode()
    if rows and not first:
        head = rows[0]
        position = max(start - per_page, 1)
        previous_cursor = _Cursor(ordering, _sort_value(head, ordering), head.pk, True, position).encode()
    return MemberPage(rows, count, start if rows else 0, next_cursor, previous_cursor, is_first=first)


def _add_totals(rows: list[Member]) -> None:
    """Set with_farm_totals' figures and `crop_names` on the page's members: one GROUP BY over their farms."""
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


def member_list_cursor(*, sort: str, after: Member) -> str:
    """The `cursor` parameter of the members list sorted by `sort` (a query parameter: "code", "-hectares")
    that lists the members after `after` (the benchmark opens the middle of the list with it). Unscoped and
    unfiltered: its position counts every member before `after` (one COUNT, one query)."""
    field = next((expression for expression, param in SORT_FIELDS.items() if param == sort.lstrip("-")), None)
    if field is None:
        raise ValueError(f"Unknown sort: {sort}")
    ordering = f"-{field}" if sort.startswith("-") else field
    value = _sort_value(after, ordering)
    before = _Cursor(ordering, value, after.pk, True, 1)
    position = Member.objects.filter(_beyond(before)).count() + 2  # the rows before `after`, `after`, then this
    return _Cursor(ordering, value, after.pk, False, position).encode()
