"""The query parameters of the loans list: member search, status, region, product, program, overdue only.

Bad values never fail the request: an invalid field gets a form error and is left out of the filtering.
"""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter, CharFilter, ChoiceFilter, FilterSet, ModelChoiceFilter

from cooperative.models import Region
from cooperative.selectors import programs_in_scope
from credit.models import CreditProduct, Loan, LoanStatus


class LoanFilter(FilterSet):
    """Filters over the loans whose member is in `regions` (the user's credit regions); the region and program
    choices are limited to `regions` too. The view applies `overdue` (credit.selectors.overdue_on_record)
    after the other filters."""

    q = CharFilter(label=_("Search"), method="search", help_text=_("Member name, code or DNI, or loan reference."))
    status = ChoiceFilter(label=_("Status"), choices=LoanStatus.choices, empty_label=_("Any status"))
    region = ModelChoiceFilter(
        label=_("Region"), field_name="member__region", queryset=Region.objects.none(), empty_label=_("Any region")
    )
    product = ModelChoiceFilter(
        label=_("Credit product"), queryset=CreditProduct.objects.order_by("name"), empty_label=_("Any product")
    )
    program = ModelChoiceFilter(label=_("Program"), queryset=None, empty_label=_("Any program"))
    overdue = BooleanFilter(
        label=_("Overdue only"),
        method="filter_in_view",
        widget=forms.CheckboxInput,
        help_text=_("Active loans with an instalment past due beyond the arrears tolerance."),
    )

    class Meta:
        model = Loan
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        if queryset is None:
            queryset = Loan.objects.filter(member__region__in=regions)
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions.order_by("name")
        self.filters["program"].queryset = programs_in_scope(regions).order_by("code")

    def search(self, queryset: QuerySet[Loan], name: str, value: str) -> QuerySet[Loan]:
        """Every word must appear in the member's names, code or DNI, or in the loan's reference."""
        for word in value.split():
            queryset = queryset.filter(
                Q(member__first_names__icontains=word)
                | Q(member__last_names__icontains=word)
                | Q(member__code__icontains=word)
                | Q(member__dni__icontains=word)
                | Q(reference__icontains=word)
            )
        return queryset

    def filter_in_view(self, queryset: QuerySet[Loan], name: str, value: bool) -> QuerySet[Loan]:
        return queryset

    @property
    def overdue_only(self) -> bool:
        """Whether the "overdue only" box is ticked (other fields may still have errors)."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # cleans the form: cleaned_data keeps the valid fields even when others are not
        return bool(self.form.cleaned_data.get("overdue"))
