"""The query parameters of the farm visits list, shared by the page and its export (VisitFilter). The members
list's filters read certifications too, so they live above (reporting.member_list.MemberFilter).

Bad values never fail the request: an invalid field gets a form error and is left out of the filtering.
"""

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from cooperative.models import Crop, Region
from cooperative.selectors import technicians_covering
from members.models import FarmVisit, Pest, VisitPestObservation

# A pest observed at this severity or above (0 absent, 1 low, 2 moderate, 3 severe) calls for attention: the
# visit list shows it and filters by it.
NOTABLE_SEVERITY = 2


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
