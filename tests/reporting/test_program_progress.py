"""reporting.programs.program_progress: enrolled members, farmers certified under a standard the program
targets (one valid certificate on an active farm of an active member), beneficiaries, percentages of the
targets, narrowing to regions, and a query count that does not grow with the programs."""

import datetime

import pytest
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.models import AllianceProgram, ProgramEnrollment, Region
from members.models import Farm, Member
from members.services import member_withdraw
from reporting.programs import program_progress
from tests.factories import (
    AllianceProgramFactory,
    CertificationFactory,
    CommunityProjectFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def certified_member(
    program: AllianceProgram,
    code: str,
    status: str = CertificationStatus.CERTIFIED,
    *,
    standard_code: str = "rainforest_alliance",
    region_name: str = "Huánuco",
    enrolment: str = ProgramEnrollment.Status.ACTIVE,
) -> Member:
    """A member enrolled in the program, with a farm in `status` under the standard."""
    member = MemberFactory(code=code, region=region(region_name))
    ProgramEnrollmentFactory(program=program, member=member, status=enrolment)
    CertificationFactory(farm=FarmFactory(member=member), standard=standard(standard_code), status=status)
    return member


def test_progress_counts_active_enrolments_certified_under_a_targeted_standard(program):
    certified = certified_member(program, "CERT")
    FarmFactory(member=certified, name="Second plot").certifications.create(
        standard=standard("rainforest_alliance"), status=CertificationStatus.CERTIFIED
    )  # a second certified farm: still one farmer
    certified_member(program, "CANDIDATE", CertificationStatus.CANDIDATE)
    certified_member(program, "ORGANIC", standard_code="organic")  # not a targeted standard
    certified_member(program, "WITHDRAWN", enrolment=ProgramEnrollment.Status.WITHDRAWN)
    MemberFactory(code="NOT-ENROLLED")
    CommunityProjectFactory(program=program, beneficiaries=200)
    CommunityProjectFactory(program=AllianceProgramFactory(), beneficiaries=999)

    [row] = program_progress(AllianceProgram.objects.filter(pk=program.pk))

    assert (row.enrolled_members, row.farmers_certified, row.target_farmers_certified) == (3, 1, 4)
    assert (row.project_beneficiaries, row.beneficiaries, row.target_beneficiaries) == (200, 203, 400)
    assert (row.certified_percent, row.beneficiaries_percent) == (25, 50)


def test_progress_percentages_stop_at_100_and_a_program_without_target_has_none():
    overachiever = AllianceProgramFactory(
        standards=[standard("rainforest_alliance")], target_farmers_certified=1, target_beneficiaries=0
    )
    certified_member(overachiever, "A")
    certified_member(overachiever, "B")

    [row] = program_progress(AllianceProgram.objects.filter(pk=overachiever.pk))

    assert (row.farmers_certified, row.certified_percent, row.beneficiaries_percent) == (2, 100, None)


def test_progress_within_regions_counts_only_their_members_and_projects():
    shared = AllianceProgramFactory(
        regions=[region("Huánuco"), region("Cusco")], standards=[standard("rainforest_alliance")]
    )
    certified_member(shared, "HUA")
    certified_member(shared, "CUS", region_name="Cusco")
    CommunityProjectFactory(program=shared, region=region("Cusco"), beneficiaries=50)

    [everywhere] = program_progress(AllianceProgram.objects.all())
    [huanuco] = program_progress(AllianceProgram.objects.all(), regions=Region.objects.filter(name="Huánuco"))

    assert (everywhere.enrolled_members, everywhere.farmers_certified, everywhere.beneficiaries) == (2, 2, 52)
    assert (huanuco.enrolled_members, huanuco.farmers_certified, huanuco.beneficiaries) == (1, 1, 1)


def test_progress_takes_six_queries_for_any_number_of_programs(django_assert_num_queries):
    for _ in range(5):
        program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
        certified_member(program, f"M-{program.pk}")

    with django_assert_num_queries(6):
        rows = program_progress(AllianceProgram.objects.all())

    assert [row.farmers_certified for row in rows] == [1] * 5


# -- what counts as a farmer certified ---------------------------------------------------------------


def progress_of(program: AllianceProgram):
    return program_progress(AllianceProgram.objects.filter(pk=program.pk))[0]


def validly_certified_member(program: AllianceProgram, *, valid_until: datetime.date | None = None, **farm_values):
    """A member enrolled in the program with a farm (of `farm_values`) certified under Rainforest Alliance
    from 400 days ago until `valid_until` (400 days from now unless given); returns (member, farm)."""
    today = timezone.localdate()
    member = MemberFactory()
    ProgramEnrollmentFactory(program=program, member=member)
    farm = FarmFactory(member=member, **farm_values)
    CertificationFactory(
        farm=farm,
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 400 * DAY,
        valid_until=valid_until or today + 400 * DAY,
    )
    return member, farm


def test_program_progress_counts_a_farmer_certified_under_a_targeted_standard():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    validly_certified_member(program)

    progress = progress_of(program)

    assert (progress.enrolled_members, progress.farmers_certified) == (1, 1)


def test_program_progress_ignores_a_certification_under_a_standard_another_program_targets():
    targeted = AllianceProgramFactory(standards=[standard("organic")])
    other = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = validly_certified_member(other)
    ProgramEnrollmentFactory(program=targeted, member=member)

    assert progress_of(targeted).farmers_certified == 0
    assert progress_of(other).farmers_certified == 1


def test_program_progress_does_not_count_a_withdrawn_member_as_enrolled_or_certified():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = validly_certified_member(program)
    validly_certified_member(program)

    member_withdraw(member=member, withdrawn_on=timezone.localdate(), reason="Se mudó a Lima")
    progress = progress_of(program)

    assert (progress.enrolled_members, progress.farmers_certified, progress.beneficiaries) == (1, 1, 1)


def test_program_progress_does_not_count_a_certificate_on_a_retired_farm():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    validly_certified_member(program, status=Farm.Status.RETIRED)

    assert progress_of(program).farmers_certified == 0


def test_program_progress_does_not_count_a_certificate_whose_validity_has_ended():
    # Nothing expires certifications on schedule (certification_expire_due has no caller), so a
    # certificate that ran out last month is still "certified" in the table: progress must not count it.
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    validly_certified_member(program, valid_until=timezone.localdate() - 30 * DAY)

    assert progress_of(program).farmers_certified == 0


def test_program_progress_checks_status_validity_and_farm_on_the_same_certification():
    # A lapsed certificate on one farm and an open candidacy (no validity yet) on an active farm: neither
    # is a valid certificate, however the conditions would combine across different rows.
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = validly_certified_member(program, valid_until=timezone.localdate() - DAY)
    retired = FarmFactory(member=member, status=Farm.Status.RETIRED)
    CertificationFactory(
        farm=retired,
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=timezone.localdate() - 10 * DAY,
        valid_until=timezone.localdate() + 300 * DAY,
    )
    CertificationFactory(farm=FarmFactory(member=member), standard=standard("rainforest_alliance"))

    assert progress_of(program).farmers_certified == 0
