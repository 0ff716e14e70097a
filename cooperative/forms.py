"""Forms of the ground's staff pages (a community project of a program, a partner's API token) and the helpers
every app's forms use (DateInput, add_service_errors).

Forms check input and find the records it names within the user's regions; the services do the writing and
enforce the domain's rules, and `add_service_errors` puts their messages under the field that caused them.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cooperative.models import AllianceProgram, Partner, Region


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: under the field it names (renamed by `field_map`),
    or above the form when the field is not on it."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = field_map.get(field, field)
        form.add_error(target if target in form.fields else None, messages)


class CommunityProjectForm(forms.Form):
    # Shares a page with the enrolment forms, whose region and community inputs would clash.
    prefix = "project"

    name = forms.CharField(label=_("Name"), max_length=200)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    community = forms.CharField(label=_("Community"), max_length=120, required=False)
    beneficiaries = forms.IntegerField(
        label=_("Beneficiaries"),
        min_value=1,
        help_text=_("People who benefit, e.g. the children of a school."),
    )
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, program: AllianceProgram, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = program.regions.filter(pk__in=regions).order_by("name")


class ApiTokenForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.order_by("name"))
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Power BI”."),
    )
