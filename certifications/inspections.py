"""Writes for the Internal Control System's inspections: checklists and their requirements, declared conflicts
of interest, internal inspections with their answers, and the non-conformities those raise and their closing.

Staff pages, the API and imports call these functions. Each one validates everything first and raises one
ValidationError naming the fields at fault (nothing is written then); the transaction covers every row written.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format
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
from cooperative.access import ICS_INSPECTORS
from cooperative.models import Region, StaffRole
from members.models import Farm, Member

ErrorDict = dict[str, list[str]]
Answer = InspectionAnswer.Answer
Severity = NonConformity.Severity

# Requirements added to a new checklist go after the last one, leaving room to insert between them.
POSITION_STEP = 10


class NonConformityDetails(TypedDict, total=False):
    """What the inspector records for a non-compliant answer. Severity defaults to critical on a critical
    requirement (and may not be lower there)."""

    severity: str
    description: str
    corrective_action: str
    deadline: datetime.date | None


def _date(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _person(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _add_error(errors: ErrorDict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _raise_if(errors: ErrorDict) -> None:
    if errors:
        raise ValidationError(errors)


def _check_not_future(errors: ErrorDict, field: str, day: datetime.date) -> None:
    if day > timezone.localdate():
        _add_error(errors, field, _("The date cannot be in the future."))


def _codes(requirements: Iterable[Requirement]) -> str:
    return ", ".join(requirement.code for requirement in requirements)


# -- checklists and requirements ------------------------------------------------------------------------------


def _lock_checklist(checklist: Checklist) -> Checklist:
    # Serialises changes to a checklist with the inspections that answer it and with a new version replacing it.
    return Checklist.objects.select_for_update(of=("self",)).select_related("standard").get(pk=checklist.pk)


def _check_checklist_unused(errors: ErrorDict, checklist: Checklist) -> None:
    """An answered checklist is frozen: changing a question would change what past inspections answered."""
    used_by = Inspection.objects.filter(answers__requirement__checklist=checklist).distinct().count()
    if used_by:
        _add_error(
            errors,
            "checklist",
            ngettext(
                "The checklist %(checklist)s has been used in %(count)s inspection, so its requirements can no "
                "longer change. Create a new version of the checklist to change them.",
                "The checklist %(checklist)s has been used in %(count)s inspections, so its requirements can no "
                "longer change. Create a new version of the checklist to change them.",
                used_by,
            )
            % {"checklist": checklist, "count": used_by},
        )


def _check_requirement_values(
    errors: ErrorDict,
    *,
    checklist: Checklist,
    code: str,
    text_es: str,
    text_en: str,
    exclude_pk: int | None = None,
) -> None:
    if not code:
        _add_error(errors, "code", _("Give the requirement's code, for example ORG-01."))
    elif Requirement.objects.filter(checklist=checklist, code__iexact=code).exclude(pk=exclude_pk).exists():
        _add_error(
            errors,
            "code",
            _("The checklist %(checklist)s already has a requirement %(code)s.")
            % {"checklist": checklist, "code": code},
        )
    if not text_es:
        _add_error(errors, "text_es", _("Give the requirement's text in Spanish."))
    if not text_en:
        _add_error(errors, "text_en", _("Give the requirement's text in English."))


def _save_requirement(requirement: Requirement, changed_by: AbstractBaseUser | None) -> Requirement:
    requirement.full_clean()
    if changed_by is not None:
        requirement._history_user = changed_by
    requirement.save()
    return requirement


@transaction.atomic
def requirement_create(
    *,
    checklist: Checklist,
    code: str,
    text_es: str,
    text_en: str,
    section: str = "",
    critical: bool = False,
    position: int | None = None,
    changed_by: AbstractBaseUser | None = None,
) -> Requirement:
    """Add a requirement to a checklist that no inspection has answered yet; position defaults to the end.

    Locks the checklist row. Raises ValidationError for a checklist already used, a code the checklist
    already has (case-insensitive), or a missing text. About six queries.
    """
    checklist = _lock_checklist(checklist)
    code, text_es, text_en = code.strip(), text_es.strip(), text_en.strip()
    errors: ErrorDict = {}
    _check_checklist_unused(errors, checklist)
    _check_requirement_values(errors, checklist=checklist, code=code, text_es=text_es, text_en=text_en)
    _raise_if(errors)

    if position is None:
        last = checklist.requirements.aggregate(last=Max("position"))["last"]
        position = (last or 0) + POSITION_STEP
    requirement = Requirement(
        checklist=checklist,
        code=code,
        section=section.strip(),
        text_es=text_es,
        text_en=text_en,
        critical=critical,
        position=position,
    )
    return _save_requirement(requirement, changed_by)


@transaction.atomic
def requirement_update(
    *,
    requirement: Requirement,
    code: str,
    text_es: str,
    text_en: str,
    section: str = "",
    critical: bool = False,
    position: int = 0,
    changed_by: AbstractBaseUser | None = None,
) -> Requirement:
    """Change a requirement of a checklist that no inspection has answered yet; return the updated requirement.

    Locks the checklist row. Raises ValidationError as requirement_create does. The object passed in is not
    modified: use the one returned.
    """
    checklist = _lock_checklist(requirement.checklist)
    requirement = Requirement.objects.get(pk=requirement.pk)
    code, text_es, text_en = code.strip(), text_es.strip(), text_en.strip()
    errors: ErrorDict = {}
    _check_checklist_unused(errors, checklist)
    _check_requirement_values(
        errors, checklist=checklist, code=code, text_es=text_es, text_en=text_en, exclude_pk=requirement.pk
    )
    _raise_if(errors)

    requirement.checklist = checklist
    requirement.code = code
    requirement.section = section.strip()
    requirement.text_es = text_es
    requirement.text_en = text_en
    requirement.critical = critical
    requirement.position = position
    return _save_requirement(requirement, changed_by)


@transaction.atomic
def checklist_create(
    *,
    standard: Standard,
    version: str,
    title: str,
    created_by: AbstractBaseUser | None = None,
    copy_requirements: bool = True,
    activate: bool = True,
) -> Checklist:
    """Create a new version of a standard's checklist, by default with a copy of the requirements of the version
    in use, and put it in use (the version in use until then is retired in the same transaction).

    Locks the standard row and the checklist in use, so two new versions, or a new version and an inspection
    answering the old one, are serialised. Raises ValidationError for a standard that accepts nothing new
    (UTZ), an empty or already used version, or an empty title. Past inspections keep pointing to the
    requirements of the version they answered.
    """
    standard = Standard.objects.select_for_update(of=("self",)).get(pk=standard.pk)
    current = Checklist.objects.select_for_update(of=("self",)).filter(standard=standard, active=True).first()
    version, title = version.strip(), title.strip()
    errors: ErrorDict = {}
    if not standard.accepts_new_certifications:
        _add_error(
            errors,
            "standard",
            _("%(standard)s accepts no new certifications: it gets no new checklist.") % {"standard": standard.name},
        )
    if not version:
        _add_error(errors, "version", _("Give the version, for example 2027.1."))
    elif Checklist.objects.filter(standard=standard, version__iexact=version).exists():
        _add_error(
            errors,
            "version",
            _("%(standard)s already has a checklist version %(version)s.")
            % {"standard": standard.name, "version": version},
        )
    if not title:
        _add_error(errors, "title", _("Give the checklist's title."))
    _raise_if(errors)

    if activate and current is not None:
        # Retired first: the database allows one checklist in use per standard.
        current.active = False
        current.full_clean()
        if created_by is not None:
            current._history_user = created_by
        current.save(update_fields=["active", "updated_at"])
    checklist = Checklist(standard=standard, version=version, title=title, active=activate)
    checklist.full_clean()
    if created_by is not None:
        checklist._history_user = created_by
    checklist.save()
    if copy_requirements and current is not None:
        copies = [
            Requirement(
                checklist=checklist,
                code=requirement.code,
                section=requirement.section,
                text_es=requirement.text_es,
                text_en=requirement.text_en,
                critical=requirement.critical,
                position=requirement.position,
            )
            for requirement in current.requirements.order_by("position", "code")
        ]
        bulk_create_with_history(copies, Requirement, default_user=created_by)
    return checklist


# -- conflicts of interest --------------------------------------------------------------------------------------


@transaction.atomic
def conflict_declare(
    *,
    inspector: AbstractBaseUser,
    member: Member,
    relationship: str,
    declared_on: datetime.date,
    note: str = "",
    declared_by: AbstractBaseUser | None = None,
) -> InspectorConflict:
    """Record that an inspector may not inspect (nor verify corrections on) a member's farms.

    Locks the member row so that a declaration and an inspection of the member are serialised. Raises
    ValidationError for an unknown relationship, a future date, or a conflict already declared.
    """
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    errors: ErrorDict = {}
    if relationship not in InspectorConflict.Relationship.values:
        _add_error(errors, "relationship", _("Choose the relationship between the inspector and the member."))
    _check_not_future(errors, "declared_on", declared_on)
    existing = InspectorConflict.objects.filter(inspector=inspector, member=member).first()
    if existing is not None:
        _add_error(
            errors,
            "member",
            _("%(inspector)s already declared a conflict of interest with %(member)s (%(relationship)s) on %(date)s.")
            % {
                "inspector": _person(inspector),
                "member": member,
                "relationship": existing.get_relationship_display().lower(),
                "date": _date(existing.declared_on),
            },
        )
    _raise_if(errors)

    conflict = InspectorConflict(
        inspector=inspector, member=member, relationship=relationship, declared_on=declared_on, note=note.strip()
    )
    conflict.full_clean()
    if declared_by is not None:
        conflict._history_user = declared_by
    conflict.save()
    return conflict


def _conflict_message(conflict: InspectorConflict, *, action: str) -> str:
    return _(
        "%(inspector)s declared a conflict of interest with %(member)s (%(relationship)s) on %(date)s and may "
        "not %(action)s: another person must do it."
    ) % {
        "inspector": _person(conflict.inspector),
        "member": conflict.member,
        "relationship": conflict.get_relationship_display().lower(),
        "date": _date(conflict.declared_on),
        "action": action,
    }


# -- inspections ----------------------------------------------------------------------------------------------


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
        _add_error(errors, "farm", _("The farm %(farm)s is retired.") % {"farm": farm})
    if farm.member.status == Member.Status.WITHDRAWN:
        _add_error(
            errors,
            "farm",
            _("%(member)s withdrew from the cooperative on %(date)s.")
            % {"member": farm.member, "date": _date(farm.member.withdrawn_on)},
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
            _add_error(
                errors,
                "standards",
                _("%(standard)s records are read-only history: no new inspection is recorded under it.")
                % {"standard": standard.name},
            )
            continue
        if standard.pk not in open_under:
            _add_error(
                errors,
                "standards",
                _(
                    "The farm %(farm)s has no open %(standard)s certification. Open one (a candidate is enough) "
                    "before inspecting the farm under %(standard)s."
                )
                % {"farm": farm, "standard": standard.name},
            )
        if standard.pk not in with_checklist:
            _add_error(
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
        _add_error(
            errors,
            "answers",
            _("These requirements are not in the checklists in use for the standards inspected: %(codes)s.")
            % {"codes": names},
        )
    missing = [requirement for pk, requirement in requirements.items() if pk not in answers]
    if missing:
        _add_error(errors, "answers", _("Answer every requirement. Missing: %(codes)s.") % {"codes": _codes(missing)})
    invalid = [
        requirements[pk]
        for pk, (answer, _note) in answers.items()
        if pk in requirements and answer not in Answer.values
    ]
    if invalid:
        _add_error(
            errors,
            "answers",
            _("Answer %(codes)s with compliant, non-compliant or not applicable.") % {"codes": _codes(invalid)},
        )


def _non_conformity_severity(errors: ErrorDict, requirement: Requirement, details: NonConformityDetails) -> str | None:
    severity = details.get("severity") or (Severity.CRITICAL if requirement.critical else "")
    if severity and severity not in Severity.values:
        _add_error(
            errors,
            "non_conformities",
            _("Choose minor, major or critical as the severity of %(code)s.") % {"code": requirement.code},
        )
        return None
    if not severity:
        _add_error(
            errors,
            "non_conformities",
            _("Choose the severity of the non-conformity on %(code)s.") % {"code": requirement.code},
        )
        return None
    if requirement.critical and severity != Severity.CRITICAL:
        _add_error(
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
        _add_error(
            errors,
            "non_conformities",
            _("A non-conformity is recorded only for a non-compliant answer; %(codes)s is not answered non-compliant.")
            % {"codes": _codes(not_raised)},
        )
    without_details = [requirements[pk] for pk in non_compliant if pk in requirements and pk not in non_conformities]
    if without_details:
        _add_error(
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
            _add_error(
                errors,
                "non_conformities",
                _("Describe the corrective action for %(code)s.") % {"code": requirement.code},
            )
        if deadline is None:
            _add_error(errors, "non_conformities", _("Give the deadline for %(code)s.") % {"code": requirement.code})
        elif deadline < inspected_on:
            _add_error(
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
    _check_not_future(errors, "inspected_on", inspected_on)
    conflict = (
        InspectorConflict.objects.filter(inspector=inspector, member=farm.member).select_related("inspector").first()
    )
    if conflict is not None:
        conflict.member = farm.member
        _add_error(errors, "inspector", _conflict_message(conflict, action=_("inspect this member's farms")))
    elif not is_inspector_for(inspector, farm.member.region):
        _add_error(
            errors,
            "inspector",
            _("%(inspector)s is not an internal inspector for %(region)s.")
            % {"inspector": _person(inspector), "region": farm.member.region},
        )
    if not interviewee:
        _add_error(errors, "interviewee", _("Give the name of the person interviewed."))
    if recommendation not in Inspection.Recommendation.values:
        _add_error(errors, "recommendation", _("Choose the recommendation to the approval committee."))
    if estimated_yield_kg is not None and estimated_yield_kg < 0:
        _add_error(errors, "estimated_yield_kg", _("The estimated yield cannot be negative."))

    if not standards:
        _add_error(errors, "standards", _("Choose at least one standard to inspect the farm under."))
        _raise_if(errors)
    checklists = _checklists_for(errors, farm=farm, standards=standards)
    same_day = Standard.objects.filter(
        inspections__farm=farm, inspections__inspected_on=inspected_on, pk__in=[s.pk for s in standards]
    ).distinct()
    if same_day:
        _add_error(
            errors,
            "inspected_on",
            _("The farm %(farm)s was already inspected under %(standards)s on %(date)s.")
            % {
                "farm": farm,
                "standards": ", ".join(standard.name for standard in same_day),
                "date": _date(inspected_on),
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
        _add_error(
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
    _raise_if(errors)

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


# -- non-conformities -----------------------------------------------------------------------------------------


@transaction.atomic
def non_conformity_close(
    *,
    non_conformity: NonConformity,
    closed_on: datetime.date,
    verified_by: AbstractBaseUser,
    closing_note: str,
) -> NonConformity:
    """Close a non-conformity once its correction has been verified; return the closed non-conformity.

    The row is locked (SELECT ... FOR UPDATE), so two people closing it at once get "already closed" for the
    second. Refuses: closing twice, a date in the future or before the inspection that found it, no note on
    how the correction was verified, and a verifier who is the inspector who raised it (the correction is
    verified by someone else: four eyes) or who declared a conflict of interest with the member. The object
    passed in is not modified: use the one returned.
    """
    # The verifier is not joined here: a row re-read after waiting for the lock keeps the joined rows of the
    # first read (PostgreSQL), so a verifier set meanwhile would come back empty. It is read once locked.
    non_conformity = (
        NonConformity.objects.select_for_update(of=("self",))
        .select_related("inspection__inspector", "farm__member", "requirement")
        .get(pk=non_conformity.pk)
    )
    if non_conformity.closed_on is not None:
        raise ValidationError(
            _("This non-conformity was already closed on %(date)s by %(person)s.")
            % {"date": _date(non_conformity.closed_on), "person": _person(non_conformity.verified_by)},
            code="already_closed",
        )
    inspection = non_conformity.inspection
    closing_note = closing_note.strip()
    errors: ErrorDict = {}
    _check_not_future(errors, "closed_on", closed_on)
    if closed_on < inspection.inspected_on:
        _add_error(
            errors,
            "closed_on",
            _("The non-conformity was found on %(date)s and cannot be closed before that.")
            % {"date": _date(inspection.inspected_on)},
        )
    if verified_by.pk == inspection.inspector_id:
        _add_error(
            errors,
            "verified_by",
            _("%(person)s raised this non-conformity: another person must verify its correction.")
            % {"person": _person(verified_by)},
        )
    else:
        conflict = InspectorConflict.objects.filter(inspector=verified_by, member=non_conformity.farm.member).first()
        if conflict is not None:
            conflict.inspector, conflict.member = verified_by, non_conformity.farm.member
            _add_error(errors, "verified_by", _conflict_message(conflict, action=_("verify this correction")))
    if not closing_note:
        _add_error(errors, "closing_note", _("Describe how the correction was verified."))
    _raise_if(errors)

    non_conformity.closed_on = closed_on
    non_conformity.verified_by = verified_by
    non_conformity.closing_note = closing_note
    non_conformity.full_clean()
    non_conformity._history_user = verified_by
    non_conformity.save()
    return non_conformity
