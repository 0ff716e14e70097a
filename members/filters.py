"""The query parameters of the staff lists, shared by each page and its exports: the members list's search,
filters and sort order (MemberFilter) and the farm visits list's filters (VisitFilter).

Bad values never fail the request: an invalid field gets a form error and is left out of the filtering.
"""

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from certifications.models import Certification, CertificationStatus, Standard
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from cooperative.selectors import technicians_covering
from members.models import Farm, FarmVisit, Member, Pest, VisitPestObservation

# A pest observed at this severity or above (0 absent, 1 low, 2 moderate, 3 severe) calls for attention: the
# visit list shows it and filters by it.
NOTABLE_SEVERITY = 2

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
        """Every word must appear in the first names, last names, member code or DNI."""
        for word in value.split():
            queryset = queryset.filter(
                Q(first_names__icontains=word)
                | Q(last_names__icontains=word)
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


class StaffUserChoiceField(django_filters.fields.ModelChoiceField):
    """A select of staff users shown by full name (the username when the name is empty)."""

    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_full_name() or obj.get_username()


class StaffUserFilter(django_filters.ModelChoiceFilter):
    field_class = StaffUserChoiceField


class VisitFilterForm(forms.Form):
    """The visit filters' form: checks that the date range is not reversed."""

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        visited_from, visited_to = cleaned_data.get("visited_from"), cleaned_data.get("visited_to")
        if visited_from and visited_to and visited_from > visited_to:
            # An error on the field leaves it out of the filtering (the list keeps the "from" date only).
            self.add_error("visited_to", _("The end date must not be before the start date."))
        return cleaned_data


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VisitFilter(django_filters.FilterSet):
    """Filters over the farm visits whose member is in `regions` (the user's regions). The region choices are
    `regions`; the technician choices, the users holding the technician role in one of them.

    Region means the member's region, as the scope does, so the region choices split the list exactly.
    """

    technician = StaffUserFilter(
        label=_("Technician"),
        queryset=None,  # set in __init__: technicians_covering(regions)
        empty_label=_("Any technician"),
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        field_name="farm__member__region",
        queryset=Region.objects.none(),
        empty_label=_("Any region"),
    )
    crop = django_filters.ChoiceFilter(
        label=_("Crop"), field_name="farm__crop", choices=Crop.choices, empty_label=_("Any crop")
    )
    visited_from = django_filters.DateFilter(
        label=_("Visited from"), field_name="visited_on", lookup_expr="gte", widget=_date_input()
    )
    visited_to = django_filters.DateFilter(
        label=_("Visited until"), field_name="visited_on", lookup_expr="lte", widget=_date_input()
    )
    pest = django_filters.ChoiceFilter(
        label=_("Pest or disease (moderate or severe)"),
        choices=Pest.choices,
        method="filter_pest",
        empty_label=_("All visits"),
        help_text=_("Visits that found it at severity 2 or 3."),
    )

    class Meta:
        model = FarmVisit
        fields: list[str] = []
        form = VisitFilterForm

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        if queryset is None:
            queryset = FarmVisit.objects.filter(farm__member__region__in=regions).order_by("-visited_on", "-id")
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions
        self.filters["technician"].queryset = technicians_covering(regions)

    def filter_pest(self, queryset: QuerySet[FarmVisit], name: str, value: str) -> QuerySet[FarmVisit]:
        """Visits with an observation of the pest at NOTABLE_SEVERITY or above."""
        return queryset.filter(
            Exists(
                VisitPestObservation.objects.filter(visit=OuterRef("pk"), pest=value, severity__gte=NOTABLE_SEVERITY)
            )
        )
