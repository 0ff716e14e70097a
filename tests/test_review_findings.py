"""Regression tests for bugs found in review: program progress and dashboard certification figures."""

import datetime

import pytest
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.models import AllianceProgram
from cooperative.selectors import regions_in_scope
from members.models import Farm
from members.services import member_withdraw
from reporting.programs import program_progress
from reporting.selectors import dashboard_figures
from tests.factories import (
    AllianceProgramFactory,
    CertificationFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    standard,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _progress(program: AllianceProgram):
    return program_progress(AllianceProgram.objects.filter(pk=program.pk))[0]


def _certified_member(program: AllianceProgram, *, valid_until: datetime.date | None = None, **farm_values):
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
    _certified_member(program)

    progress = _progress(program)

    assert (progress.enrolled_members, progress.farmers_certified) == (1, 1)


def test_program_progress_ignores_a_certification_under_a_standard_another_program_targets():
    targeted = AllianceProgramFactory(standards=[standard("organic")])
    other = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = _certified_member(other)
    ProgramEnrollmentFactory(program=targeted, member=member)

    assert _progress(targeted).farmers_certified == 0
    assert _progress(other).farmers_certified == 1


def test_program_progress_does_not_count_a_withdrawn_member_as_enrolled_or_certified():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = _certified_member(program)
    _certified_member(program)

    member_withdraw(member=member, withdrawn_on=timezone.localdate(), reason="Se mudó a Lima")
    progress = _progress(program)

    assert (progress.enrolled_members, progress.farmers_certified, progress.beneficiaries) == (1, 1, 1)


def test_program_progress_does_not_count_a_certificate_on_a_retired_farm():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    _certified_member(program, status=Farm.Status.RETIRED)

    assert _progress(program).farmers_certified == 0


def test_program_progress_does_not_count_a_certificate_whose_validity_has_ended():
    # Nothing expires certifications on schedule (certification_expire_due has no caller), so a
    # certificate that ran out last month is still "certified" in the table: progress must not count it.
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    _certified_member(program, valid_until=timezone.localdate() - 30 * DAY)

    assert _progress(program).farmers_certified == 0


def test_program_progress_checks_status_validity_and_farm_on_the_same_certification():
    # A lapsed certificate on one farm and an open candidacy (no validity yet) on an active farm: neither
    # is a valid certificate, however the conditions would combine across different rows.
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = _certified_member(program, valid_until=timezone.localdate() - DAY)
    retired = FarmFactory(member=member, status=Farm.Status.RETIRED)
    CertificationFactory(
        farm=retired,
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=timezone.localdate() - 10 * DAY,
        valid_until=timezone.localdate() + 300 * DAY,
    )
    CertificationFactory(farm=FarmFactory(member=member), standard=standard("rainforest_alliance"))

    assert _progress(program).farmers_certified == 0


def test_dashboard_does_not_count_a_withdrawn_members_farm_as_certified():
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member, _farm = _certified_member(program)
    member_withdraw(member=member, withdrawn_on=timezone.localdate(), reason="Se mudó a Lima")
    user = UserFactory(is_superuser=True)

    figures = dashboard_figures(regions=regions_in_scope(user), as_of=timezone.localdate())

    assert figures.certified_farms("rainforest_alliance") == 0
    assert figures.active_members == 0
