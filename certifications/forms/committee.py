"""Forms and list filters of the approval committee's pages. They give the inputs, labels and widgets; the
services in certifications.services (certifications, sanctions, cafe, group_certificates) validate and write, and their
ValidationErrors are shown on the form (members.forms.add_service_errors).

Choices are deliberately wide (every status, every standard): a choice the rules refuse gets the
service's explanation (“From “Candidate” it can go to: …”) rather than “Select a valid choice”.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from certifications.models import (
    OPEN_STATUSES,
    Certification,
    CertificationStatus,
    ConversionStage,
    NonConformity,
    Sanction,
    Standard,
)
from certifications.selectors.committee import active_sanctions_condition
from cooperative.forms import DateInput
from cooperative.models import Crop, Region

OPEN_STATUS_CHOICES = [(value, label) for value, label in CertificationStatus.choices if value in OPEN_STATUSES]


def _textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 3})


# -- List filters ----------------------------------------------------------------------------------------


class CommitteeFilter(django_filters.FilterSet):
    """Filters over the open certifications of `regions` (committee_certifications passes its annotated
    queryset). The region choices are `regions`; region means the member's region, as the scope does."""

    standard = django_filters.ModelChoiceFilter(
        label=_("Standard"), queryset=Standard.objects.all(), to_field_name="code", empty_label=_("Any standard")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OPEN_STATUS_CHOICES, empty_label=_("Any open status")
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        field_name="farm__member__region",
        queryset=Region.objects.none(),
        empty_label=_("Any region"),
    )

    class Meta:
        model = Certification
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions


class SanctionFilter(django_filters.FilterSet):
    """Filters over the sanctions of `regions`. Without a `state`, only the sanctions in force today."""

    STATE_ACTIVE, STATE_ENDED, STATE_ALL = "active", "ended", "all"

    state = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[(STATE_ACTIVE, _("In force today")), (STATE_ENDED, _("Ended")), (STATE_ALL, _("All"))],
        method="filter_state",
        empty_label=None,
    )
    kind = django_filters.ChoiceFilter(label=_("Sanction"), choices=Sanction.Kind.choices, empty_label=_("Any kind"))
    standard = django_filters.ModelChoiceFilter(
        label=_("Standard"),
        field_name="certification__standard",
        queryset=Standard.objects.all(),
        to_field_name="code",
        empty_label=_("Any standard"),
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        field_name="certification__farm__member__region",
        queryset=Region.objects.none(),
        empty_label=_("Any region"),
    )

    class Meta:
        model = Sanction
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, regions: QuerySet[Region], **kwargs) -> None:
        data = data.copy() if data is not None else {}
        if not data.get("state"):
            data["state"] = self.STATE_ACTIVE
        super().__init__(data, queryset, **kwargs)
        self.filters["region"].queryset = regions

    def filter_state(self, queryset: QuerySet[Sanction], name: str, value: str) -> QuerySet[Sanction]:
        if value == self.STATE_ACTIVE:
            return queryset.filter(active_sanctions_condition())
        if value == self.STATE_ENDED:
            return queryset.exclude(active_sanctions_condition()).filter(ends_on__isnull=False)
        return queryset


# -- Decisions -------------------------------------------------------------------------------------------


class DecideForm(forms.Form):
    """A status decision of the committee (certifications.services.certifications.certification_change_status)."""

    to_status = forms.ChoiceField(label=_("New status"), choices=CertificationStatus.choices)
    conversion_stage = forms.ChoiceField(
        label=_("Conversion stage"),
        choices=ConversionStage.choices,
        required=False,
        help_text=_("Only for a certification in conversion (Organic)."),
    )
    occurred_on = forms.DateField(label=_("Decision date"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), widget=_textarea())
    certificate_number = forms.CharField(
        label=_("Certificate number"),
        max_length=60,
        required=False,
        help_text=_("When certifying. Left empty on a reinstatement, the certificate already recorded is kept."),
    )
    valid_from = forms.DateField(label=_("Certificate valid from"), widget=DateInput(), required=False)
    valid_until = forms.DateField(
        label=_("Certificate valid until"),
        widget=DateInput(),
        required=False,
        help_text=_("Left empty, the standard's validity applies."),
    )

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for certification_change_status: empty certificate inputs are left out (None),
        so that a reinstatement keeps the certificate and other statuses are not refused for them."""
        data = self.cleaned_data
        return {
            "to_status": data["to_status"],
            "conversion_stage": data["conversion_stage"] or "",
            "occurred_on": data["occurred_on"],
            "reason": data["reason"],
            "certificate_number": data["certificate_number"] or None,
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
        }


class NonConformityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: NonConformity) -> str:
        label = _("%(code)s – %(severity)s, due %(deadline)s") if obj.is_open else _("%(code)s – %(severity)s, closed")
        return label % {
            "code": obj.requirement.code,
            "severity": obj.get_severity_display(),
            "deadline": date_format(obj.deadline, "SHORT_DATE_FORMAT"),
        }


class SanctionForm(forms.Form):
    """Impose a sanction (certifications.services.sanctions.sanction_impose). An exclusion needs the confirmation."""

    kind = forms.ChoiceField(label=_("Sanction"), choices=Sanction.Kind.choices)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), initial=timezone.localdate)
    ends_on = forms.DateField(
        label=_("Until"),
        widget=DateInput(),
        required=False,
        help_text=_(
            "Only for a warning. A sales block or a suspension holds until the committee lifts it; an exclusion "
            "is final."
        ),
    )
    reason = forms.CharField(label=_("Reason"), widget=_textarea())
    non_conformity = NonConformityChoiceField(
        label=_("Non-conformity"),
        queryset=NonConformity.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The finding of an internal inspection this sanction answers, if any."),
    )
    confirm_exclusion = forms.BooleanField(
        label=_("For an exclusion: I confirm that the farm leaves this certification for good."),
        required=False,
    )

    def __init__(self, *args, certification: Certification, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["non_conformity"].queryset = (
            NonConformity.objects.filter(farm_id=certification.farm_id, standard_id=certification.standard_id)
            .select_related("requirement")
            .order_by("closed_on", "deadline", "id")
        )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if cleaned_data.get("kind") == Sanction.Kind.EXCLUSION and not cleaned_data.get("confirm_exclusion"):
            self.add_error(
                "confirm_exclusion",
                _("An exclusion is final: tick the box to confirm it."),
            )
        return cleaned_data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[key] for key in ("kind", "starts_on", "ends_on", "reason", "non_conformity")}


class SanctionLiftForm(forms.Form):
    """Lift a sanction (certifications.services.sanctions.sanction_lift)."""

    ends_on = forms.DateField(label=_("Lifted on"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), widget=_textarea())
    reinstate = forms.BooleanField(
        label=_("Reinstate the certification in the status it had before the sanction"),
        required=False,
        initial=True,
        help_text=_("For a sales block or a suspension. A conversion restarts at C1."),
    )


class CafeVerificationForm(forms.Form):
    """A C.A.F.E. Practices scorecard (certifications.services.cafe.cafe_verification_record). The percentages
    are checked by the service (0 to 100, at most two decimals)."""

    verified_on = forms.DateField(label=_("Verification date"), widget=DateInput(), initial=timezone.localdate)
    verifier = forms.CharField(label=_("Verifier"), max_length=150)
    social_percent = forms.DecimalField(
        label=_("Social (%)"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"})
    )
    environmental_percent = forms.DecimalField(
        label=_("Environmental (%)"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"})
    )
    zero_tolerance_failures = forms.IntegerField(
        label=_("Zero-tolerance failures"), initial=0, widget=forms.NumberInput(attrs={"min": "0"})
    )


class GroupCertificateForm(forms.Form):
    """A group certificate (certifications.services.group_certificates.group_certificate_create / _update)."""

    standard = forms.ModelChoiceField(label=_("Standard"), queryset=Standard.objects.all())
    number = forms.CharField(label=_("Certificate number"), max_length=60)
    certification_body = forms.CharField(label=_("Certification body"), max_length=150)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput())
    crops = forms.MultipleChoiceField(
        label=_("Crops covered"), choices=Crop.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    notes = forms.CharField(label=_("Notes"), widget=_textarea(), required=False)

    @classmethod
    def initial_for(cls, certificate) -> dict[str, Any]:
        return {
            "standard": certificate.standard_id,
            "number": certificate.number,
            "certification_body": certificate.certification_body,
            "valid_from": certificate.valid_from,
            "valid_until": certificate.valid_until,
            "crops": certificate.crops,
            "notes": certificate.notes,
        }
