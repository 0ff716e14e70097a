"""Reads for the Internal Control System's inspections: inspectors, inspections, non-conformities, conflicts of
interest, and the last-inspection annotation the coverage and audit pages use.

Each selector owns its joins, so its query count does not grow with its rows; the cost is in each docstring.
Scope: a user sees the rows of the farms whose member's region one of their roles covers (as
members.selectors.farms_in_scope).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

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
from cooperative.access import ICS_INSPECTORS, ICS_MANAGERS, ICS_READERS, has_role
from cooperative.models import Region, StaffRole
from cooperative.selectors import regions_in_scope
from members.models import Farm
from members.selectors import farms_in_scope

# How many farms the "find a farm to inspect" search shows.
FARM_SEARCH_LIMIT = 25


def inspectors_covering(regions: QuerySet[Region]) -> QuerySet[AbstractBaseUser]:
    """Users holding an inspector role (ICS coordinator, manager or technician) for one of `regions` or for all
    regions, by name. Lazy: one query when read, `regions` staying a subquery."""
    grants = StaffRole.objects.filter(user=OuterRef("pk"), role__in=ICS_INSPECTORS).filter(
        Q(all_regions=True) | Q(regions__in=regions)
    )
    return get_user_model().objects.filter(Exists(grants)).order_by("first_name", "last_name", "username")


def inspectors_for_recording(*, user: AbstractBaseUser, farm: Farm) -> QuerySet[AbstractBaseUser]:
    """Who `user` may name as the inspector of an inspection of `farm`: an ICS manager any inspector of the farm's
    region (a paper form typed in later), anyone else only themselves. Lazy: one query when read (plus the role
    check now)."""
    me = get_user_model().objects.filter(pk=user.pk)
    if has_role(user, ICS_MANAGERS):
        return (inspectors_covering(Region.objects.filter(pk=farm.member.region_id)) | me).distinct()
    return me


# -- inspections ----------------------------------------------------------------------------------------------


def inspections_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[Inspection]:
    """Inspections of the farms whose member's region the user's roles cover. Lazy; the scope check is one
    query when the queryset is read."""
    return Inspection.objects.filter(farm__member__region__in=regions_in_scope(user, roles))


def inspections_for_list(
    *,
    user: AbstractBaseUser,
    regions: QuerySet[Region] | None = None,
    standard: Standard | None = None,
    region: Region | None = None,
    inspector: AbstractBaseUser | None = None,
    inspected_from: datetime.date | None = None,
    inspected_to: datetime.date | None = None,
    recommendation: str = "",
) -> QuerySet[Inspection]:
    """Inspections in the user's regions (or in `regions`, already scoped to the user), newest first, narrowed
    by the filters given (standard covered, member's region, inspector, date range inclusive, recommendation),
    with farm, member, region and inspector joined, `non_conformity_count` and `open_non_conformity_count`
    annotated and `standard_list` prefetched (by name).

    Cost: the rows in one query, the scope staying a subquery (plus its check when `regions` is not given), and
    the standards in one more (a paginator adds a COUNT).
    """
    if regions is None:
        regions = regions_in_scope(user, ICS_READERS)
    inspections = Inspection.objects.filter(farm__member__region__in=regions)
    if standard is not None:
        inspections = inspections.filter(
            Exists(Inspection.standards.through.objects.filter(inspection=OuterRef("pk"), standard=standard))
        )
    if region is not None:
        inspections = inspections.filter(farm__member__region=region)
    if inspector is not None:
        inspections = inspections.filter(inspector=inspector)
    if inspected_from is not None:
        inspections = inspections.filter(inspected_on__gte=inspected_from)
    if inspected_to is not None:
        inspections = inspections.filter(inspected_on__lte=inspected_to)
    if recommendation:
        inspections = inspections.filter(recommendation=recommendation)
    return (
        inspections.select_related("farm__member__region", "inspector")
        .annotate(
            non_conformity_count=Count("non_conformities"),
            open_non_conformity_count=Count("non_conformities", filter=Q(non_conformities__closed_on__isnull=True)),
        )
        .prefetch_related(Prefetch("standards", queryset=Standard.objects.order_by("name"), to_attr="standard_list"))
        .order_by("-inspected_on", "-id")
    )


def inspections_for_detail(user: AbstractBaseUser) -> QuerySet[Inspection]:
    """Inspections in the user's regions prepared for the detail page: farm, member, region and inspector
    joined; `standard_list` (by name) and `answer_list` prefetched, each answer with its requirement, the
    requirement's checklist and standard, and its non-conformity (and verifier) joined, in checklist order.

    Cost: the scope check and the inspection, then one query for the standards and one for the answers,
    however many there are.
    """
    answers = InspectionAnswer.objects.select_related(
        "requirement__checklist__standard", "non_conformity__verified_by"
    ).order_by("requirement__checklist__standard__name", "requirement__position", "requirement__code")
    return (
        inspections_in_scope(user, ICS_READERS)
        .select_related("farm__member__region", "inspector")
        .prefetch_related(
            Prefetch("standards", queryset=Standard.objects.order_by("name"), to_attr="standard_list"),
            Prefetch("answers", queryset=answers, to_attr="answer_list"),
        )
    )


@dataclass(frozen=True)
class StandardAnswers:
    """The answers an inspection gave under one standard, in checklist order."""

    standard: Standard
    checklist: Checklist
    answers: list[InspectionAnswer]

    @property
    def non_compliant(self) -> int:
        return sum(1 for answer in self.answers if answer.answer == InspectionAnswer.Answer.NON_COMPLIANT)


def answers_by_standard(inspection: Inspection) -> list[StandardAnswers]:
    """The prefetched answers of an inspection (inspections_for_detail) grouped by standard. No query."""
    groups: dict[int, StandardAnswers] = {}
    for answer in inspection.answer_list:
        checklist = answer.requirement.checklist
        group = groups.get(checklist.pk)
        if group is None:
            group = groups[checklist.pk] = StandardAnswers(standard=checklist.standard, checklist=checklist, answers=[])
        group.answers.append(answer)
    return list(groups.values())


@dataclass(frozen=True)
class InspectableStandard:
    """A standard a farm holds an open certification under, and whether it can be inspected now."""

    standard: Standard
    certification: Certification
    checklist: Checklist | None

    @property
    def inspectable(self) -> bool:
        return self.checklist is not None and self.standard.accepts_new_certifications


def inspectable_standards(*, farm: Farm) -> list[InspectableStandard]:
    """The farm's open certifications, by standard name, each with the standard's checklist in use (or None).
    Two queries."""
    certifications = (
        Certification.objects.filter(farm=farm, status__in=OPEN_STATUSES)
        .select_related("standard")
        .order_by("standard__name")
    )
    certifications = list(certifications)
    checklists = {
        checklist.standard_id: checklist
        for checklist in Checklist.objects.filter(
            active=True, standard__in=[certification.standard_id for certification in certifications]
        )
    }
    return [
        InspectableStandard(
            standard=certification.standard,
            certification=certification,
            checklist=checklists.get(certification.standard_id),
        )
        for certification in certifications
    ]


def active_requirements(*, standards: Iterable[Standard]) -> list[Requirement]:
    """The requirements of the checklists in use for `standards`, by standard name then checklist order, with
    checklist and standard joined. One query."""
    return list(
        Requirement.objects.filter(checklist__active=True, checklist__standard__in=list(standards))
        .select_related("checklist__standard")
        .order_by("checklist__standard__name", "position", "code")
    )


def farms_for_inspection(user: AbstractBaseUser) -> QuerySet[Farm]:
    """The farms in the user's inspector regions, whatever their status (inspection_record refuses a retired one
    with its reason), with member and region joined. One query now (the scope check); lazy otherwise."""
    return farms_in_scope(user, ICS_INSPECTORS).select_related("member__region")


def farms_to_inspect(*, user: AbstractBaseUser, search: str) -> list[Farm]:
    """Active farms in the user's inspector regions whose name, or member's code or names, contain every word of
    `search` (at most FARM_SEARCH_LIMIT, by member code). Two queries (scope check, rows)."""
    farms = Farm.objects.filter(
        member__region__in=regions_in_scope(user, ICS_INSPECTORS), status=Farm.Status.ACTIVE
    ).select_related("member__region")
    for word in search.split():
        farms = farms.filter(
            Q(name__icontains=word)
            | Q(member__code__icontains=word)
            | Q(member__first_names__icontains=word)
            | Q(member__last_names__icontains=word)
        )
    return list(farms.order_by("member__code", "name")[:FARM_SEARCH_LIMIT])


def with_last_inspection(queryset_of_farms: QuerySet[Farm], standard: Standard | None = None) -> QuerySet[Farm]:
    """Annotate each farm's last internal inspection (under `standard`, if given): `last_inspected_on` (None if
    never inspected) and `last_inspection_result`: "non_compliant" if that inspection raised a non-conformity
    (under `standard`, if given), "compliant" if it raised none, None if never inspected.

    Two correlated subqueries in the same query as the farms (the latest inspection is the one with the latest
    date, then the highest id).
    """
    latest = Inspection.objects.filter(farm=OuterRef("pk"))
    raised = NonConformity.objects.filter(inspection=OuterRef("pk"))
    if standard is not None:
        latest = latest.filter(standards=standard)
        raised = raised.filter(standard=standard)
    latest = latest.order_by("-inspected_on", "-id")
    result = latest.annotate(
        result=Case(
            When(Exists(raised), then=Value("non_compliant")),
            default=Value("compliant"),
            output_field=CharField(),
        )
    )
    return queryset_of_farms.annotate(
        last_inspected_on=Subquery(latest.values("inspected_on")[:1]),
        last_inspection_result=Subquery(result.values("result")[:1], output_field=CharField()),
    )


# -- non-conformities -----------------------------------------------------------------------------------------


def non_conformities_in_scope(user: AbstractBaseUser, roles: Iterable[str] | None = None) -> QuerySet[NonConformity]:
    """Non-conformities of the farms whose member's region the user's roles cover. Lazy."""
    return NonConformity.objects.filter(farm__member__region__in=regions_in_scope(user, roles))


def non_conformities_to_close(user: AbstractBaseUser) -> QuerySet[NonConformity]:
    """Non-conformities of the regions the user's ICS manager roles cover, with farm, member, region, standard,
    requirement, inspection, inspector and verifier joined (what the closing page shows). Lazy."""
    return non_conformities_in_scope(user, ICS_MANAGERS).select_related(
        "farm__member__region", "standard", "requirement", "inspection__inspector", "verified_by"
    )


class NonConformityState:
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = "all"


def non_conformities_for_list(
    *,
    user: AbstractBaseUser,
    regions: QuerySet[Region] | None = None,
    state: str = NonConformityState.OPEN,
    severity: str = "",
    standard: Standard | None = None,
    region: Region | None = None,
    today: datetime.date | None = None,
) -> QuerySet[NonConformity]:
    """Non-conformities in the user's regions (or in `regions`, already scoped to the user) in a state: open
    (the default), overdue (open with the deadline before `today`), closed, or all; narrowed by severity,
    standard and member's region; by deadline, with farm, member, region, standard, requirement, inspection,
    inspector and verifier joined.

    Cost: the rows in one query, the scope staying a subquery (plus its check when `regions` is not given; a
    paginator adds a COUNT).
    """
    if regions is None:
        regions = regions_in_scope(user, ICS_READERS)
    today = today or timezone.localdate()
    non_conformities = NonConformity.objects.filter(farm__member__region__in=regions)
    if state == NonConformityState.OPEN:
        non_conformities = non_conformities.filter(closed_on__isnull=True)
    elif state == NonConformityState.OVERDUE:
        non_conformities = non_conformities.filter(closed_on__isnull=True, deadline__lt=today)
    elif state == NonConformityState.CLOSED:
        non_conformities = non_conformities.filter(closed_on__isnull=False)
    if severity:
        non_conformities = non_conformities.filter(severity=severity)
    if standard is not None:
        non_conformities = non_conformities.filter(standard=standard)
    if region is not None:
        non_conformities = non_conformities.filter(farm__member__region=region)
    return non_conformities.select_related(
        "farm__member__region", "standard", "requirement", "inspection__inspector", "verified_by"
    ).order_by("deadline", "id")


def open_critical_non_conformities(*, farm: Farm, standard: Standard) -> QuerySet[NonConformity]:
    """The farm's critical non-conformities under the standard that are not closed yet: while there is one,
    the farm cannot become certified under it. Lazy, by deadline."""
    return NonConformity.objects.filter(
        farm=farm, standard=standard, severity=NonConformity.Severity.CRITICAL, closed_on__isnull=True
    ).order_by("deadline", "id")


def is_overdue(non_conformity: NonConformity, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return non_conformity.closed_on is None and non_conformity.deadline < today


# -- conflicts of interest ------------------------------------------------------------------------------------


def conflicts_for_list(*, user: AbstractBaseUser) -> QuerySet[InspectorConflict]:
    """Declared conflicts of interest with members in the user's regions, by inspector then member code, with
    inspector, member and region joined. One query for the rows (plus the scope check)."""
    return (
        InspectorConflict.objects.filter(member__region__in=regions_in_scope(user, ICS_READERS))
        .select_related("inspector", "member__region")
        .order_by("inspector__first_name", "inspector__username", "member__code", "pk")
    )
