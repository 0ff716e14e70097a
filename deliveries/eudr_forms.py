"""The EUDR export page's form: the selection (program, region, farm ids, delivery period) within the
manager's regions, as GET parameters; deliveries.eudr reads the farms."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperative.forms import DateInput
from cooperative.models import AllianceProgram, Region
from deliveries.eudr import EudrSelection, parse_farm_ids


class ExportForm(forms.Form):
    """The export's selection, within the manager's regions (GET parameters)."""

    program = forms.ModelChoiceField(
        label=gettext_lazy("Program"), queryset=AllianceProgram.objects.none(), required=False
    )
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False)
    farms = forms.CharField(
        label=gettext_lazy("Farm ids"),
        required=False,
        help_text=gettext_lazy("Optional: farm ids separated by commas or spaces."),
    )
    delivered_from = forms.DateField(label=gettext_lazy("Delivered from"), required=False, widget=DateInput())
    delivered_to = forms.DateField(label=gettext_lazy("Delivered until"), required=False, widget=DateInput())
    producer_name = forms.BooleanField(
        label=gettext_lazy("Include the producer's name (only for members who consented to share it)"),
        required=False,
    )

    def __init__(self, *args, programs, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["region"].queryset = regions

    def clean_farms(self) -> tuple[int, ...]:
        try:
            return parse_farm_ids(self.cleaned_data.get("farms") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("delivered_from"), data.get("delivered_to")
        if start and end and start > end:
            self.add_error("delivered_from", _("The first day must not be after the last."))
        return data

    def selection(self) -> EudrSelection:
        data = self.cleaned_data
        return EudrSelection(
            program=data.get("program"),
            region=data.get("region"),
            farm_ids=data.get("farms") or (),
            delivered_from=data.get("delivered_from"),
            delivered_to=data.get("delivered_to"),
        )
