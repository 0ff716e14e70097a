"""Program progress: each alliance program's enrolments, certified farmers and beneficiaries against its
targets, counted from the records of members, certifications and community projects.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.models import AllianceProgram, CommunityProject, Crop, ProgramEnrollment, Region
from members.models import Farm, Member
from members.selectors import counted_enrolments


def _capped_percent(achieved: int, target: int) -> int | None:
    """Whole percent of the target reached, at most 100 (for a progress bar); None without a target."""
    if target <= 0:
        return None
    return min(100, achieved * 100 // target)


@dataclass(frozen=True)
class ProgramProgress:
    """A program's progress against its targets, computed from the records (never stored)."""

    program: AllianceProgram
    enrolled_members: int
    farmers_certified: int
    target_farmers_certified: int
    project_beneficiaries: int
    target_beneficiaries: int

    @property
    def crop_labels(self) -> list[str]:
        return [label for value, label in Crop.choices if value in self.program.crops]

    @property
    def beneficiaries(self) -> int:
        """Enrolled members plus the beneficiaries of the program's community projects."""
        return self.enrolled_members + self.project_beneficiaries

    @property
    def certified_percent(self) -> int | None:
        return _capped_percent(self.farmers_certified, self.target_farmers_certified)

    @property
    def beneficiaries_percent(self) -> int | None:
        return _capped_percent(self.beneficiaries, self.target_beneficiaries)


def _count_by_program(queryset: QuerySet, counted: Sum | Count) -> dict[int, int]:
    rows = queryset.order_by().values("program").annotate(total=counted).values_list("program", "total")
    return {program_id: total or 0 for program_id, total in rows}


def program_progress(
    programs: QuerySet[AllianceProgram],
    *,
    regions: QuerySet[Region] | None = None,
    members: QuerySet[Member] | None = None,
    as_of: datetime.date | None = None,
) -> list[ProgramProgress]:
    """Each program's enrolments, certified farmers and beneficiaries against its targets.

    - enrolled members: members with an active enrolment who have not withdrawn from the cooperative
      (members.selectors.counted_enrolments);
    - farmers certified: those enrolled members with at least one active farm whose certification under
      one of the program's targeted standards is "certified" with a certificate still valid on `as_of`
      (default: today in the cooperative's time zone). Expiry is not written on schedule, so a lapsed
      certificate can still read "certified": its validity decides.
    - beneficiaries: enrolled members + the beneficiaries of the program's community projects.

    With `regions`, only members (and community projects) in those regions count: a manager sees the
    part of a program that lies in the regions they cover; the targets stay the program's own.
    With `members` (a lazy queryset, used as a subquery), only those members' enrolments count; community
    projects, which have regions but no members, still count by `regions`.
    Six queries whatever the number of programs: the programs (partner joined), their regions and
    standards (prefetched), then one GROUP BY each for enrolments, certified farmers and projects.
    Programs keep the queryset's order.
    """
    program_list = list(programs.select_related("partner").prefetch_related("regions", "standards"))
    if not program_list:
        return []
    ids = [program.pk for program in program_list]
    as_of = as_of or timezone.localdate()
    enrolments = counted_enrolments(ProgramEnrollment.objects.filter(program__in=ids))
    projects = CommunityProject.objects.filter(program__in=ids)
    if regions is not None:
        enrolments = enrolments.filter(member__region__in=regions)
        projects = projects.filter(region__in=regions)
    if members is not None:
        enrolments = enrolments.filter(member__in=members)
    enrolled = _count_by_program(enrolments, Count("member", distinct=True))
    # "certified" is an open status and a farm has at most one open certification per standard, which is
    # its current one: no need for current_certifications() here. One filter() call, so the farm, its
    # certification and the targeted standard are the same rows.
    certified = _count_by_program(
        enrolments.filter(
            Q(member__farms__certifications__valid_until__isnull=True)
            | Q(member__farms__certifications__valid_until__gte=as_of),
            member__farms__status=Farm.Status.ACTIVE,
            member__farms__certifications__status=CertificationStatus.CERTIFIED,
            member__farms__certifications__standard__programs=F("program"),
        ),
        Count("member", distinct=True),
    )
    beneficiaries = _count_by_program(projects, Sum("beneficiaries"))
    return [
        ProgramProgress(
            program=program,
            enrolled_members=enrolled.get(program.pk, 0),
            farmers_certified=certified.get(program.pk, 0),
            target_farmers_certified=program.target_farmers_certified,
            project_beneficiaries=beneficiaries.get(program.pk, 0),
            target_beneficiaries=program.target_beneficiaries,
        )
        for program in program_list
    ]
