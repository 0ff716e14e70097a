"""Forms of the members pages. They give the inputs, labels and widgets; the services validate and write.

The model forms skip Django's model validation (`_post_clean`): the view passes the cleaned values to the
service, which runs full_clean() once, and its ValidationError is put on the form with add_service_errors.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperative.forms import DateInput, ServiceModelForm
from cooperative.models import AllianceProgram, Crop, Region
from members.models import Farm, FarmDeforestationDeclaration, Member
from members.selectors import members_to_enrol


class MemberForm(ServiceModelForm):
    """Register or edit a member. Regions are limited to `regions`; the code is fixed once registered, and
    withdrawal is its own action (it needs a date and a reason), so "withdrawn" is not offered here."""

    class Meta:
        model = Member
        fields = [
            "code",
            "first_names",
            "last_names",
            "dni",
            "gender",
            "birth_date",
            "phone",
            "region",
            "district",
            "community",
            "ubigeo",
            "ubigeo_source",
            "joined_on",
            "status",
            "consents_to_share",
            "consent_date",
        ]
        widgets = {
            "birth_date": DateInput(),
            "joined_on": DateInput(),
            "consent_date": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "dni": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "ubigeo": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        if self.instance.pk:
            del self.fields["code"]
        # A withdrawn member stays withdrawn here: reinstatement is not an edit (the withdrawal date and
        # reason would be left behind); anyone else is active or inactive.
        if self.instance.pk and self.instance.status == Member.Status.WITHDRAWN:
            self.fields["status"].choices = [(Member.Status.WITHDRAWN, Member.Status.WITHDRAWN.label)]
        else:
            self.fields["status"].choices = [
                choice for choice in Member.Status.choices if choice[0] != Member.Status.WITHDRAWN
            ]
        if not self.instance.pk:
            self.fields["joined_on"].initial = timezone.localdate


class FarmForm(ServiceModelForm):
    """Register or edit a farm. Production is typed in kilograms, quintals or export bags; the service
    stores kilograms too. Regions are limited to `regions`."""

    class Meta:
        model = Farm
        fields = [
            "name",
            "region",
            "district",
            "community",
            "hectares",
            "crop",
            "varieties",
            "altitude_m",
            "latitude",
            "longitude",
            "planted_year",
            "previous_crop",
            "crop_changed_on",
            "production_quantity",
            "production_unit",
            "status",
        ]
        widgets = {
            "crop_changed_on": DateInput(),
            "hectares": forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
        }
        labels = {"production_quantity": _("Estimated yearly production")}

    def __init__(self, *args, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        farm = self.instance
        # A farm whose estimate was recorded in kilograms only (e.g. by an import) shows it in kilograms.
        if farm.pk and farm.production_quantity is None and farm.estimated_production_kg is not None:
            self.initial["production_quantity"] = farm.estimated_production_kg
            self.initial["production_unit"] = Farm.ProductionUnit.KG

    def service_values(self) -> dict:
        """The cleaned values for farm_create / farm_update. An emptied production clears the kilograms too."""
        values = dict(self.cleaned_data)
        if values.get("production_quantity") is None:
            values["estimated_production_kg"] = None
        return values


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawal date"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=_("I confirm the withdrawal. The member's record, farms and history are kept."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )

    # member_withdraw names its reason field after the model.
    SERVICE_FIELDS = {"withdrawal_reason": "reason"}


class GeometryForm(forms.Form):
    """A farm's geometry pasted (GeoJSON, KML or GPX text), uploaded (also KMZ), or drawn on the map (the
    page's script writes GeoJSON into `text` and sets `drawn`). members.geo_formats reads it and
    members.eudr.geolocation checks and saves it."""

    text = forms.CharField(
        label=_("GeoJSON, KML or GPX"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Coordinates in WGS84 decimal degrees with at least 6 decimals; GeoJSON is [longitude, latitude]."),
    )
    file = forms.FileField(
        label=_("or upload a file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,.kml,.kmz,.gpx"}),
    )
    drawn = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        from members.geo_formats import MAX_UPLOAD_BYTES

        data = super().clean()
        upload = data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if upload is None and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Paste a geometry, upload a file or draw the boundary on the map."))
        return data

    def content(self) -> str | bytes:
        """The uploaded file's bytes when there is one, else the pasted text."""
        upload = self.cleaned_data.get("file")
        return upload.read() if upload is not None else self.cleaned_data["text"]


class DeclarationForm(forms.ModelForm):
    """The deforestation-free declaration; members.eudr.geolocation.farm_declare_land_use validates and writes."""

    class Meta:
        model = FarmDeforestationDeclaration
        fields = ["land_use_2020", "evidence_note", "declared_on"]
        widgets = {"declared_on": DateInput(), "evidence_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declared_on"].initial = timezone.localdate

    def _post_clean(self) -> None:
        """Model validation is the service's job."""


class EnrolMemberForm(forms.Form):
    """Enrol one member, named by member code. Only members in the user's regions can be found."""

    member_code = forms.CharField(label=_("Member code"), max_length=20)
    enrolled_on = forms.DateField(label=_("Enrolment date"), widget=DateInput, initial=timezone.localdate)

    # The service names the member; this form asks for its code.
    SERVICE_FIELDS = {"member": "member_code"}

    def __init__(self, *args, members: QuerySet[Member], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        self.member: Member | None = None

    def clean_member_code(self) -> str:
        code = self.cleaned_data["member_code"].strip()
        self.member = self.members.filter(code__iexact=code).first()
        if self.member is None:
            raise ValidationError(_("No member in your regions has this code."), code="unknown_member")
        return code


class EnrolMatchingForm(forms.Form):
    """Pick the active members of one of the program's regions (in the user's scope) to enrol together."""

    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), empty_label=_("Choose a region"))
    crop = forms.ChoiceField(label=_("Crop"), required=False)
    community = forms.CharField(
        label=_("Community"),
        max_length=120,
        required=False,
        help_text=_("Part of the community name. Leave it empty for every community."),
    )

    def __init__(self, *args, program: AllianceProgram, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["region"].queryset = program.regions.filter(pk__in=regions).order_by("name")
        self.fields["crop"].choices = [("", _("Any crop"))] + [
            (value, label) for value, label in Crop.choices if value in program.crops
        ]

    def clean_community(self) -> str:
        return self.cleaned_data["community"].strip()

    def matching_members(self) -> QuerySet[Member]:
        """Active members matching the filter and not yet enrolled (call after is_valid())."""
        data = self.cleaned_data
        return members_to_enrol(self.program, region=data["region"], crop=data["crop"], community=data["community"])
