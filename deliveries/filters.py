"""The query parameters of the deliveries list (DeliveryFilter) and of the production report (PeriodForm).

Bad values never fail the request: an invalid field gets a form error and is left out of the filtering.
"""

import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperative.models import Crop, Region
from credit.schedule import add_months
from deliveries.models import Delivery


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeForm(forms.Form):
    """Checks that a `<x>_from` / `<x>_to` pair of dates is not reversed."""

    date_fields = ("delivered_from", "delivered_to")

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        start_name, end_name = self.date_fields
        start, end = cleaned_data.get(start_name), cleaned_data.get(end_name)
        if start and end and start > end:
            # An error on the field leaves it out of the filtering (the list keeps the start date only).
            self.add_error(end_name, _("The end date must not be before the start date."))
        return cleaned_data


class DeliveryStatus:
    PENDING = "pending"
    SETTLED = "settled"
    REVERSED = "reversed"
    CHOICES = [
        (PENDING, _("Not settled")),
        (SETTLED, _("Settled")),
        (REVERSED, _("Reversed")),
    ]


class DeliveryFilter(django_filters.FilterSet):
    """Filters over the deliveries whose member is in `regions` (the user's regions). Region means the
    member's region, as the scope does."""

    q = django_filters.CharFilter(label=_("Member"), method="search", help_text=_("Name, member code or DNI."))
    delivered_from = django_filters.DateFilter(
        label=_("Delivered from"), field_name="delivered_on", lookup_expr="gte", widget=_date_input()
    )
    delivered_to = django_filters.DateFilter(
        label=_("Delivered until"), field_name="delivered_on", lookup_expr="lte", widget=_date_input()
    )
    crop = django_filters.ChoiceFilter(label=_("Crop"), choices=Crop.choices, empty_label=_("Any crop"))
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="member__region", queryset=Region.objects.none(), empty_label=_("Any region")
    )
    status = django_filters.ChoiceFilter(
        label=_("Settlement"), choices=DeliveryStatus.CHOICES, method="filter_status", empty_label=_("Any")
    )

    class Meta:
        model = Delivery
        fields: list[str] = []
        form = DateRangeForm

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        if queryset is None:
            queryset = Delivery.objects.filter(member__region__in=regions)
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions

    def search(self, queryset: QuerySet[Delivery], name: str, value: str) -> QuerySet[Delivery]:
        """Every word must appear in the member's names, code or DNI, or in the delivery's reference."""
        for word in value.split():
            queryset = queryset.filter(
                Q(member__first_names__icontains=word)
                | Q(member__last_names__icontains=word)
                | Q(member__code__icontains=word)
                | Q(member__dni__icontains=word)
                | Q(reference__icontains=word)
            )
        return queryset

    def filter_status(self, queryset: QuerySet[Delivery], name: str, value: str) -> QuerySet[Delivery]:
        if value == DeliveryStatus.REVERSED:
            return queryset.filter(reversal__isnull=False)
        # A reversed delivery is neither pending nor settled any more.
        queryset = queryset.filter(reversal__isnull=True)
        return queryset.filter(settlement__isnull=value == DeliveryStatus.PENDING)


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last 12 months up to today, both ends included (30 Nov 2025 – 29 Nov 2026 on 29 Nov 2026)."""
    today = today or timezone.localdate()
    return add_months(today, -12) + datetime.timedelta(days=1), today


class PeriodForm(DateRangeForm):
    """The production report's period (a season, say) and optional region and crop."""

    date_fields = ("date_from", "date_to")

    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("Until"), required=False, widget=_date_input())
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False, empty_label=_("Any region")
    )
    crop = forms.ChoiceField(label=_("Crop"), choices=[("", _("Any crop")), *Crop.choices], required=False)

    def __init__(self, *args, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The dates chosen; an empty or invalid end is today, an empty or invalid start 12 months before the end."""
        self.is_valid()
        data = self.cleaned_data
        date_to = data.get("date_to") or timezone.localdate()
        return data.get("date_from") or default_period(date_to)[0], date_to
