"""Forms of the ground's staff pages (a community project of a program, a partner's API token) and the helpers
every app's forms use (DateInput, add_service_errors, ServiceModelForm).

Forms check input and find the records it names within the user's regions; the services do the writing and
enforce the domain's rules, and `add_service_errors` puts their messages under the field that caused them.
"""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cooperative.models import AllianceProgram, Partner, Region


class DateInput(forms.DateInput):
    """The browser's date picker (ISO dates on the wire, whatever the language)."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError, renamed: Mapping[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: under the input it names (after `renamed`, service
    field -> form field), else at the top of the form."""
    renamed = renamed or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = renamed.get(name, name)
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


class ServiceModelForm(forms.ModelForm):
    def _post_clean(self) -> None:
        """Model validation is the service's job: it runs full_clean() once, and add_service_errors puts its
        ValidationError on the form."""


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
