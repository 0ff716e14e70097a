"""Writes for internal inspections: a farm's inspection under one or more standards, with its answers to the
checklists in use and the non-conformities those raise.

Staff pages, the API and imports call inspection_record. It validates everything first and raises one
ValidationError naming the fields at fault (nothing is written then); the transaction covers every row written.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from certifications.models import (
    OPEN_STATUSES,
    Certification,
    Checklist,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Standard,
)
from certifications.services.conflicts import conflict_message
from certifications.services.errors import ErrorDict, add_error, check_not_future, person, raise_if, short_date
from cooperative.access import ICS_INSPECTORS
from cooperative.models import Region, StaffRole
from members.models import Farm, Member

Answer = InspectionAnswer.Answer
Severity = NonConformity.Severity


class NonConformityDetails(TypedDict, total=False):
    """What the inspector records for a non-compliant answer. Severity defaults to critical on a critical
    requirement (and may not be lower there)."""

    severity: str
    description: str
    corrective_action: str
    deadline: datetime.date | None


def _codes(requirements: Iterable[Requirement]) -> str:
    return ", ".join(requirement.code for requirement in requirements)


def is_inspector_for(user: AbstractBaseUser, region: Region) -> bool:
    """Whether the user holds an inspector role (ICS coordinator, manager or technician) covering the region.
    Superusers count. One query."""
    if user.is_superuser:
        return True
    return (
        StaffRole.objects.filter(user=user, role__in=ICS_INSPECTORS)
        .filter(Q(all_regions=True) | Q(regions=region))
        .exists()
    )


def _lock_farm(farm: Farm) -> Farm:
    # Serialises inspections of one farm: two inspectors recording the same farm and day get the clear
    # "already inspected" message instead of two inspections.
    return Farm.objects.select_for_update(of=("self",)).select_related("member__region").get(pk=farm.pk)


def _check_farm_is_current(errors: ErrorDict, farm: Farm) -> None:
    if farm.status != Farm.Status.ACTIVE:
        add_error(errors, "farm", _("The farm %(farm)s is retired.") % {"farm": farm})
    if farm.member.status == Member.Status.WITHDRAWN:
        add_error(
            errors,
            "farm",
            _("%(member)s withdrew from the cooperative on %(date)s.")
            % {"member": farm.member, "date": short_date(farm.member.withdrawn_on)},
        )


def _checklists_for(errors: ErrorDict, *, farm: Farm, standards: list[Standard]) -> list[Checklist]:
    """The checklists in use for the standards, locked; errors for a standard the farm cannot be inspected under."""
    open_under = set(
        Certification.objects.filter(farm=farm, standard__in=standards, status__in=OPEN_STATUSES).values_list(
            "standard_id", flat=True
        )
    )
    checklists = list(
        Checklist.objects.select_for_update(of=("self",))
        .filter(standard__in=standards, active=True)
        .select_related("standard")
        .order_by("standard__name")
    )
    with_checklist = {checklist.standard_id for checklist in checklists}
    for standard in standards:
        if not standard.accepts_new_certifications:
            add_error(
                errors,
                "standards",
                _("%(standard)s records are read-only history: no new inspection is recorded under it.")
                % {"standard": standard.name},
            )
            continue
        if standard.pk not in open_under:
            add_error(
                errors,
                "standards",
                _(
                    "The farm %(farm)s has no open %(standard)s certification. Open one (a candidate is enough) "
                    "before inspecting the farm under %(standard)s."
                )
                % {"farm": farm, "standard": standard.name},
            )
        if standard.pk not in with_checklist:
            add_error(
                errors,
                "standards",
                _("%(standard)s has no checklist in use.") % {"standard": standard.name},
            )
    return checklists


def _check_answers(
    errors: ErrorDict, *, requirements: dict[int, Requirement], answers: Mapping[int, tuple[str, str]]
) -> None:
    unknown = sorted(set(answers) - set(requirements))
    if unknown:
        known_elsewhere = Requirement.objects.filter(pk__in=unknown).order_by("code")
        names = _codes(known_elsewhere) or ", ".join(str(pk) for pk in unknown)
        add_error(
            errors,
            "answers",
            _("These requirements are not in the checklists in use for the standards inspected: %(codes)s.")
            % {"codes": names},
        )
    missing = [requirement for pk, requirement in requirements.items() if pk not in answers]
    if missing:
        add_error(errors, "answers", _("Answer every requirement. Missing: %(codes)s.") % {"codes": _codes(missing)})
    invalid = [
        requirements[pk]
        for pk, (answer, _note) in answers.items()
        if pk in requirements and answer not in Answer.values
    ]
    if invalid:
        add_error(
            errors,
            "answers",
            _("Answer %(codes)s with compliant, non-compliant or not applicable.") % {"codes": _codes(invalid)},
        )


def _non_conformity_severity(errors: ErrorDict, requirement: Requirement, details: NonConformityDetails) -> str | None:
    severity = details.get("severity") or (Severity.CRITICAL if requirement.critical else "")
    if severity and severity not in Severity.values:
        add_error(
            errors,
            "non_conformities",
            _("Choose minor, major or critical as the severity of %(code)s.") % {"code": requirement.code},
        )
        return None
    if not severity:
        add_error(
            errors,
            "non_conformities",
            _("Choose the severity of the non-conformity on %(code)s.") % {"code": requirement.code},
        )
        return None
    if requirement.critical and severity != Severity.CRITICAL:
        add_error(
            errors,
            "non_conformities",
            _("%(code)s is a critical requirement: its non-conformity is critical.") % {"code": requirement.code},
        )
        return None
    return severity


def _check_non_conformities(
    errors: ErrorDict,
    *,
    requirements: dict[int, Requirement],
    answers: Mapping[int, tuple[str, str]],
    non_conformities: Mapping[int, NonConformityDetails],
    inspected_on: datetime.date,
) -> dict[int, NonConformityDetails]:
    """The non-conformity of each non-compliant answer, severity defaulted, or errors."""
    non_compliant = [pk for pk, (answer, _note) in answers.items() if answer == Answer.NON_COMPLIANT]
    not_raised = [
        requirements[pk] for pk in non_conformities if pk in requirements and pk in answers and pk not in non_compliant
    ]
    if not_raised:
        add_error(
            errors,
            "non_conformities",
            _("A non-conformity is recorded only for a non-compliant answer; %(codes)s is not answered non-compliant.")
            % {"codes": _codes(not_raised)},
        )
    without_details = [requirements[pk] for pk in non_compliant if pk in requirements and pk not in non_conformities]
    if without_details:
        add_error(
            errors,
            "non_conformities",
            _("Give the corrective action and the deadline of each non-compliant requirement: %(codes)s.")
            % {"codes": _codes(without_details)},
        )

    cleaned: dict[int, NonConformityDetails] = {}
    for pk in non_compliant:
        if pk not in requirements or pk not in non_conformities:
            continue
        requirement, details = requirements[pk], non_conformities[pk]
        severity = _non_conformity_severity(errors, requirement, details)
        corrective_action = (details.get("corrective_action") or "").strip()
        deadline = details.get("deadline")
        if not corrective_action:
            add_error(
                errors,
                "non_conformities",
                _("Describe the corrective action for %(code)s.") % {"code": requirement.code},
            )
        if deadline is None:
            add_error(errors, "non_conformities", _("Give the deadline for %(code)s.") % {"code": requirement.code})
        elif deadline < inspected_on:
            add_error(
                errors,
                "non_conformities",
                _("The deadline for %(code)s cannot be before the inspection date.") % {"code": requirement.code},
            )
        if severity:
            cleaned[pk] = NonConformityDetails(
                severity=severity,
                description=(details.get("description") or "").strip(),
                corrective_action=corrective_action,
                deadline=deadline,
            )
    return cleaned


@transaction.atomic
def inspection_record(
    *,
    farm: Farm,
    standards: Iterable[Standard],
    inspector: AbstractBaseUser,
    inspected_on: datetime.date,
    interviewee: str,
    answers: Mapping[int, tuple[str, str]],
    recommendation: str,
    recorded_by: AbstractBaseUser | None,
    estimated_yield_kg: Decimal | None = None,
    inputs_used: str = "",
    recommendation_note: str = "",
    non_conformities: Mapping[int, NonConformityDetails] | None = None,
) -> Inspection:
    """Record an internal inspection of a farm under one or more standards, with an answer
    ({requirement id: (answer, note)}) to every requirement of each standard's checklist in use, and a
    non-conformity ({requirement id: details}) for each non-compliant answer.

    Rules, checked before anything is written (one ValidationError lists every problem):
    - the farm is active and its member not withdrawn; the date is not in the future;
    - the inspector holds an inspector role covering the member's region and has declared no conflict of
      interest with the member;
    - each standard accepts new certifications (UTZ does not), has a checklist in use, and the farm has an
      open certification under it. Candidates can be inspected: the internal inspection comes before the
      committee approves a new member, so a candidate certification is enough;
    - the farm is inspected at most once per standard and day;
    - answers cover exactly the requirements of those checklists; non-conformity details are given for, and
      only for, the non-compliant answers, with a corrective action and a deadline not before the
      inspection; the severity of a critical requirement is critical (the default), and a non-critical one
      needs a severity;
    - an inspection that raises a non-conformity cannot recommend plain approval.

    Locks the farm row (two inspections of the same farm are serialised) and the checklists in use (so a new
    checklist version cannot retire them half-way). Writes the inspection, its standards, its answers and
    their non-conformities (standard: the one of the requirement's checklist) with their history, in about
    twenty queries whatever the number of requirements (answers and non-conformities are bulk inserted).
    """
    non_conformities = non_conformities or {}
    farm = _lock_farm(farm)
    standards = list({standard.pk: standard for standard in standards}.values())
    interviewee, inputs_used, recommendation_note = (
        interviewee.strip(),
        inputs_used.strip(),
        recommendation_note.strip(),
    )
    errors: ErrorDict = {}

    _check_farm_is_current(errors, farm)
    check_not_future(errors, "inspected_on", inspected_on)
    conflict = (
        InspectorConflict.objects.filter(inspector=inspector, member=farm.member).select_related("inspector").first()
    )
    if conflict is not None:
        conflict.member = farm.member
        add_error(errors, "inspector", conflict_message(conflict, action=_("inspect this member's farms")))
    elif not is_inspector_for(inspector, farm.member.region):
        add_error(
            errors,
            "inspector",
            _("%(inspector)s is not an internal inspector for %(region)s.")
            % {"inspector": person(inspector), "region": farm.member.region},
        )
    if not interviewee:
        add_error(errors, "interviewee", _("Give the name of the person interviewed."))
    if recommendation not in Inspection.Recommendation.values:
        add_error(errors, "recommendation", _("Choose the recommendation to the approval committee."))
    if estimated_yield_kg is not None and estimated_yield_kg < 0:
        add_error(errors, "estimated_yield_kg", _("The estimated yield cannot be negative."))

    if not standards:
        add_error(errors, "standards", _("Choose at least one standard to inspect the farm under."))
        raise_if(errors)
    checklists = _checklists_for(errors, farm=farm, standards=standards)
    same_day = Standard.objects.filter(
        inspections__farm=farm, inspections__inspected_on=inspected_on, pk__in=[s.pk for s in standards]
    ).distinct()
    if same_day:
        add_error(
            errors,
            "inspected_on",
            _("The farm %(farm)s was already inspected under %(standards)s on %(date)s.")
            % {
                "farm": farm,
                "standards": ", ".join(standard.name for standard in same_day),
                "date": short_date(inspected_on),
            },
        )

    requirements = {
        requirement.pk: requirement
        for requirement in Requirement.objects.filter(checklist__in=checklists)
        .select_related("checklist")
        .order_by("checklist__standard__name", "position", "code")
    }
    standard_of = {checklist.pk: checklist.standard for checklist in checklists}
    if "standards" not in errors:
        # Answers are checked against the checklists only once the standards themselves are right.
        _check_answers(errors, requirements=requirements, answers=answers)
    details = _check_non_conformities(
        errors,
        requirements=requirements,
        answers=answers,
        non_conformities=non_conformities,
        inspected_on=inspected_on,
    )
    raised = sum(1 for answer, _note in answers.values() if answer == Answer.NON_COMPLIANT)
    if recommendation == Inspection.Recommendation.APPROVE and raised:
        add_error(
            errors,
            "recommendation",
            ngettext(
                "This inspection raises %(count)s non-conformity: recommend approval with conditions, a "
                "sanction or exclusion.",
                "This inspection raises %(count)s non-conformities: recommend approval with conditions, a "
                "sanction or exclusion.",
                raised,
            )
            % {"count": raised},
        )
    raise_if(errors)

    inspection = Inspection(
        farm=farm,
        inspector=inspector,
        inspected_on=inspected_on,
        interviewee=interviewee,
        estimated_yield_kg=estimated_yield_kg,
        inputs_used=inputs_used,
        recommendation=recommendation,
        recommendation_note=recommendation_note,
    )
    inspection.full_clean()
    if recorded_by is not None:
        inspection._history_user = recorded_by
    inspection.save()
    inspection.standards.set(standards)

    # The foreign keys and the one-answer-per-requirement rule were checked above (and the database enforces
    # them): full_clean skips them rather than spend a query on each row.
    answer_rows = []
    for pk, requirement in requirements.items():
        answer, note = answers[pk]
        row = InspectionAnswer(inspection=inspection, requirement=requirement, answer=answer, note=note.strip())
        row.full_clean(exclude=["inspection", "requirement"], validate_unique=False, validate_constraints=False)
        answer_rows.append(row)
    answer_rows = bulk_create_with_history(answer_rows, InspectionAnswer, default_user=recorded_by)

    nc_rows = []
    for row in answer_rows:
        if row.answer != Answer.NON_COMPLIANT:
            continue
        requirement = row.requirement
        nc = NonConformity(
            answer=row,
            inspection=inspection,
            farm=farm,
            standard=standard_of[requirement.checklist_id],
            requirement=requirement,
            **details[requirement.pk],
        )
        nc.full_clean(
            exclude=["answer", "inspection", "farm", "standard", "requirement", "verified_by"],
            validate_unique=False,
            validate_constraints=False,
        )
        nc_rows.append(nc)
    bulk_create_with_history(nc_rows, NonConformity, default_user=recorded_by)
    return inspection
