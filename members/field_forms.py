"""The visit form of the field app. It gives the inputs and labels; members.services.visit_record validates
and writes. With JavaScript the page queues the visit on the phone and uploads it through the API; without,
the form posts to the page like any other."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperative.forms import DateInput
from members.models import MAX_VISIT_PHOTOS, PESTS_BY_CROP, FarmVisit, Pest, Practice

SEVERITY_CHOICES = [
    ("", _("Not checked")),
    ("0", _("0 – absent")),
    ("1", _("1 – low")),
    ("2", _("2 – moderate")),
    ("3", _("3 – severe")),
]


def pest_field_name(code: str) -> str:
    return f"pest_{code}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to MAX_VISIT_PHOTOS files; resizing and the image check are the service's job."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_VISIT_PHOTOS:
            raise forms.ValidationError(_("At most %(max)d photos per visit.") % {"max": MAX_VISIT_PHOTOS})
        return files


class VisitForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    farm = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    visited_on = forms.DateField(label=_("Visit date"), widget=DateInput)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=FarmVisit.Purpose.choices)
    practices_observed = forms.MultipleChoiceField(
        label=_("Good practices observed"),
        choices=Practice.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    estimated_yield_kg = forms.DecimalField(
        label=_("Estimated yield (kg)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )
    recommendations = forms.CharField(
        label=_("Recommendations"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    follow_up_on = forms.DateField(label=_("Follow-up date"), widget=DateInput, required=False)
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    photos = MultiplePhotoField(
        label=_("Photos (up to 3)"),
        required=False,
        help_text=_("Taken with the phone's camera; they are reduced before they are stored."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["client_uuid"].initial = uuid.uuid4()
        self.fields["visited_on"].initial = today
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        for pest in Pest:
            field = forms.TypedChoiceField(
                label=pest.label,
                choices=SEVERITY_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )
            field.crop = next(crop for crop, pests in PESTS_BY_CROP.items() if pest in pests)
            self.fields[pest_field_name(pest.value)] = field

    def pest_fields(self):
        """The pest inputs (bound fields) with their crop, for the template."""
        return [(self[pest_field_name(pest.value)], self.fields[pest_field_name(pest.value)].crop) for pest in Pest]

    def visit_values(self) -> dict:
        """Cleaned values as members.services.visit_record takes them (farm and technician apart)."""
        data = dict(self.cleaned_data)
        pests = {pest.value: data.pop(pest_field_name(pest.value)) for pest in Pest}
        data.pop("farm")
        data["pests"] = {code: severity for code, severity in pests.items() if severity is not None}
        data["practices_observed"] = list(data["practices_observed"])
        data["recommendations"] = data["recommendations"] or ""
        return data
