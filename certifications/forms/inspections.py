"""Forms of the inspection pages: list filters, conflicts of interest, the inspection form (one question per
requirement) and closing a non-conformity.

Forms give the inputs, labels and the checks a person can fix on the spot; the services in
certifications.services (inspections, conflicts, non_conformities) validate the domain's rules and write, and
add_service_errors puts their messages under the input they name (or above the form).
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certifications.models import (
    Checklist,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Standard,
)
from certifications.selectors.inspections import NonConformityState, inspectors_covering
from certifications.services.inspections import NonConformityDetails
from cooperative.forms import DateInput
from cooperative.models import Region
from members.models import Member

Answer = InspectionAnswer.Answer
Severity = NonConformity.Severity


class UserChoiceField(forms.ModelChoiceField):
    """A select of staff users shown by full name (the username when the name is empty)."""

    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_full_name() or obj.get_username()


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _valid_values(form: forms.Form) -> dict[str, Any]:
    """The cleaned values of the fields that validated and were filled: a bad filter is shown as an error on
    the form and left out, it never fails the page."""
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}


# -- list filters ---------------------------------------------------------------------------------------------


class InspectionFilterForm(forms.Form):
    """Filters of the inspections list over the user's `regions`: the region and inspector choices are limited
    to them."""

    standard = forms.ModelChoiceField(
        label=_("Standard"), queryset=Standard.objects.order_by("name"), to_field_name="code", required=False
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    inspector = UserChoiceField(label=_("Inspector"), queryset=None, required=False)
    inspected_from = forms.DateField(label=_("Inspected from"), widget=DateInput, required=False)
    inspected_to = forms.DateField(label=_("Inspected until"), widget=DateInput, required=False)
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("", _("Any recommendation")), *Inspection.Recommendation.choices],
        required=False,
    )

    def __init__(self, *args, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"].empty_label = _("Any standard")
        self.fields["region"].queryset = regions.order_by("name")
        self.fields["region"].empty_label = _("Any region")
        self.fields["inspector"].queryset = inspectors_covering(regions)
        self.fields["inspector"].empty_label = _("Any inspector")

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        start, end = cleaned_data.get("inspected_from"), cleaned_data.get("inspected_to")
        if start and end and start > end:
            self.add_error("inspected_to", _("The end date must not be before the start date."))
        return cleaned_data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for certifications.selectors.inspections.inspections_for_list."""
        return _valid_values(self)


class NonConformityFilterForm(forms.Form):
    STATES = [
        (NonConformityState.OPEN, _("Open")),
        (NonConformityState.OVERDUE, _("Overdue (open, past the deadline)")),
        (NonConformityState.CLOSED, _("Closed")),
        (NonConformityState.ALL, _("All")),
    ]

    state = forms.ChoiceField(label=_("State"), choices=STATES, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("Any severity")), *Severity.choices], required=False
    )
    standard = forms.ModelChoiceField(
        label=_("Standard"), queryset=Standard.objects.order_by("name"), to_field_name="code", required=False
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)

    def __init__(self, *args, regions: QuerySet[Region], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"].empty_label = _("Any standard")
        self.fields["region"].queryset = regions.order_by("name")
        self.fields["region"].empty_label = _("Any region")

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for certifications.selectors.inspections.non_conformities_for_list (open ones by
        default)."""
        return _valid_values(self)


# -- conflicts of interest ------------------------------------------------------------------------------------


class ConflictForm(forms.Form):
    """Declare a conflict of interest. The inspector is one of the inspectors of `regions`; the member, named by
    code, must be in `members` (the user's scope)."""

    inspector = UserChoiceField(label=_("Inspector"), queryset=None)
    member_code = forms.CharField(label=_("Member code"), max_length=20)
    relationship = forms.ChoiceField(
        label=_("Relationship"), choices=InspectorConflict.Relationship.choices, widget=forms.RadioSelect
    )
    declared_on = forms.DateField(label=_("Declared on"), widget=DateInput, initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), widget=_textarea(), required=False)

    # The service names the member; this form asks for its code.
    SERVICE_FIELDS = {"member": "member_code"}

    def __init__(self, *args, regions: QuerySet[Region], members: QuerySet[Member], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = inspectors_covering(regions)
        self.members = members
        self.member: Member | None = None

    def clean_member_code(self) -> str:
        code = self.cleaned_data["member_code"].strip()
        self.member = self.members.filter(code__iexact=code).first()
        if self.member is None:
            raise ValidationError(_("No member in your regions has this code."), code="unknown_member")
        return code

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "inspector": data["inspector"],
            "member": self.member,
            "relationship": data["relationship"],
            "declared_on": data["declared_on"],
            "note": data["note"],
        }


# -- inspections ----------------------------------------------------------------------------------------------


class FarmSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the farm"),
        max_length=100,
        required=False,
        help_text=_("Member code, member name or farm name."),
    )


@dataclass
class RequirementRow:
    """One question of the inspection form: the requirement and its bound fields."""

    requirement: Requirement
    answer: forms.BoundField
    note: forms.BoundField
    severity: forms.BoundField
    description: forms.BoundField
    corrective_action: forms.BoundField
    deadline: forms.BoundField

    @property
    def non_compliant(self) -> bool:
        return self.answer.value() == Answer.NON_COMPLIANT

    @property
    def has_errors(self) -> bool:
        fields = (self.answer, self.note, self.severity, self.description, self.corrective_action, self.deadline)
        return any(bound.errors for bound in fields)


@dataclass
class SectionRows:
    name: str
    rows: list[RequirementRow] = field(default_factory=list)


@dataclass
class StandardRows:
    standard: Standard
    checklist: Checklist
    sections: list[SectionRows] = field(default_factory=list)


class InspectionForm(forms.Form):
    """The inspection of a farm under the standards whose requirements are given (the checklists in use):
    the visit's facts, then, per requirement, the answer and note and, for a non-compliant answer, the
    non-conformity (severity, finding, corrective action, deadline), then the recommendation.

    `inspectors` are the people who may be named as inspector (a technician records only their own).
    """

    inspector = UserChoiceField(label=_("Inspector"), queryset=None, empty_label=None)
    inspected_on = forms.DateField(label=_("Inspection date"), widget=DateInput)
    interviewee = forms.CharField(label=_("Person interviewed"), max_length=150)
    estimated_yield_kg = forms.DecimalField(
        label=_("Estimated yield (kg)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        help_text=_("Dry parchment coffee or dry cocoa beans expected this season."),
    )
    inputs_used = forms.CharField(
        label=_("Inputs used"),
        widget=_textarea(),
        required=False,
        help_text=_("Fertilizers, pest control products and other inputs, with quantities."),
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation to the approval committee"),
        choices=Inspection.Recommendation.choices,
        widget=forms.RadioSelect,
    )
    recommendation_note = forms.CharField(label=_("Notes for the committee"), widget=_textarea(), required=False)

    TOP_FIELDS = ("inspector", "inspected_on", "interviewee", "estimated_yield_kg", "inputs_used")
    BOTTOM_FIELDS = ("recommendation", "recommendation_note")

    def __init__(
        self,
        *args,
        requirements: list[Requirement],
        inspectors: QuerySet[AbstractBaseUser],
        initial_inspector: AbstractBaseUser | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.requirements = requirements
        self.fields["inspector"].queryset = inspectors
        self.fields["inspector"].initial = initial_inspector.pk if initial_inspector else None
        self.fields["inspected_on"].initial = today
        self.fields["inspected_on"].widget.attrs["max"] = today.isoformat()
        for requirement in requirements:
            self._add_requirement_fields(requirement)

    @staticmethod
    def name(requirement: Requirement, part: str) -> str:
        return f"r{requirement.pk}_{part}"

    def _add_requirement_fields(self, requirement: Requirement) -> None:
        name = self.name
        self.fields[name(requirement, "answer")] = forms.ChoiceField(
            label=requirement.code,
            choices=Answer.choices,
            widget=forms.RadioSelect,
            error_messages={"required": _("Answer this requirement.")},
        )
        self.fields[name(requirement, "note")] = forms.CharField(
            label=_("Note or evidence"), required=False, widget=_textarea(2)
        )
        if requirement.critical:
            severities = [(Severity.CRITICAL, Severity.CRITICAL.label)]
        else:
            severities = [("", _("Choose the severity")), *Severity.choices]
        self.fields[name(requirement, "severity")] = forms.ChoiceField(
            label=_("Severity"), choices=severities, required=False
        )
        self.fields[name(requirement, "description")] = forms.CharField(
            label=_("Finding"), required=False, widget=_textarea(2)
        )
        self.fields[name(requirement, "action")] = forms.CharField(
            label=_("Corrective action"), required=False, widget=_textarea(2)
        )
        self.fields[name(requirement, "deadline")] = forms.DateField(
            label=_("Deadline"), required=False, widget=DateInput
        )

    def top_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.TOP_FIELDS]

    def bottom_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BOTTOM_FIELDS]

    def groups(self) -> list[StandardRows]:
        """The questions by standard, then by section, in checklist order."""
        groups: list[StandardRows] = []
        for requirement in self.requirements:
            checklist = requirement.checklist
            if not groups or groups[-1].checklist.pk != checklist.pk:
                groups.append(StandardRows(standard=checklist.standard, checklist=checklist))
            sections = groups[-1].sections
            if not sections or sections[-1].name != requirement.section:
                sections.append(SectionRows(name=requirement.section))
            sections[-1].rows.append(self._row(requirement))
        return groups

    def _row(self, requirement: Requirement) -> RequirementRow:
        def bound(part: str) -> forms.BoundField:
            return self[self.name(requirement, part)]

        return RequirementRow(
            requirement=requirement,
            answer=bound("answer"),
            note=bound("note"),
            severity=bound("severity"),
            description=bound("description"),
            corrective_action=bound("action"),
            deadline=bound("deadline"),
        )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        inspected_on: datetime.date | None = cleaned_data.get("inspected_on")
        for requirement in self.requirements:
            name = self.name
            answer = cleaned_data.get(name(requirement, "answer"))
            severity = cleaned_data.get(name(requirement, "severity"))
            description = (cleaned_data.get(name(requirement, "description")) or "").strip()
            action = (cleaned_data.get(name(requirement, "action")) or "").strip()
            deadline = cleaned_data.get(name(requirement, "deadline"))
            if answer == Answer.NON_COMPLIANT:
                if not requirement.critical and not severity:
                    self.add_error(name(requirement, "severity"), _("Choose the severity."))
                if not action:
                    self.add_error(name(requirement, "action"), _("Describe the corrective action."))
                if deadline is None:
                    if name(requirement, "deadline") not in self.errors:
                        self.add_error(name(requirement, "deadline"), _("Give the deadline."))
                elif inspected_on and deadline < inspected_on:
                    self.add_error(
                        name(requirement, "deadline"), _("The deadline cannot be before the inspection date.")
                    )
            elif answer and (description or action or deadline):
                self.add_error(
                    name(requirement, "answer"),
                    _("You described a non-conformity: answer non-compliant, or clear the non-conformity fields."),
                )
        return cleaned_data

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for certifications.services.inspections.inspection_record (farm, standards and recorded_by
        come from the view)."""
        data = self.cleaned_data
        answers: dict[int, tuple[str, str]] = {}
        non_conformities: dict[int, NonConformityDetails] = {}
        for requirement in self.requirements:
            answer = data[self.name(requirement, "answer")]
            answers[requirement.pk] = (answer, data[self.name(requirement, "note")])
            if answer == Answer.NON_COMPLIANT:
                non_conformities[requirement.pk] = NonConformityDetails(
                    severity=data[self.name(requirement, "severity")],
                    description=data[self.name(requirement, "description")],
                    corrective_action=data[self.name(requirement, "action")],
                    deadline=data[self.name(requirement, "deadline")],
                )
        return {
            "inspector": data["inspector"],
            "inspected_on": data["inspected_on"],
            "interviewee": data["interviewee"],
            "estimated_yield_kg": data["estimated_yield_kg"],
            "inputs_used": data["inputs_used"],
            "recommendation": data["recommendation"],
            "recommendation_note": data["recommendation_note"],
            "answers": answers,
            "non_conformities": non_conformities,
        }


# -- non-conformities -----------------------------------------------------------------------------------------


class NonConformityCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Correction verified on"), widget=DateInput, initial=timezone.localdate)
    closing_note = forms.CharField(
        label=_("How the correction was verified"),
        widget=_textarea(),
        help_text=_("What you saw on the farm or in the records, for the certifier's audit."),
    )
    confirm = forms.BooleanField(
        label=_("I confirm that I verified the correction. A closed non-conformity cannot be reopened."),
        error_messages={"required": _("Tick the box to confirm the closing.")},
    )
