"""Tests at the edge of two rules: the 4 ha above which a point no longer locates a plot (EUDR art. 2(28)), and
who counts in a program when a withdrawn member's enrolment was left active."""

from decimal import Decimal

import pytest

from cooperative.models import AllianceProgram, ProgramEnrollment
from members.eudr.geolocation import farm_set_geometry
from members.eudr.status import EudrStatus, farm_eudr_status
from members.models import Member
from reporting.programs import program_progress
from tests.factories import (
    AllianceProgramFactory,
    DeforestationDeclarationFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [Decimal("-75.991234"), Decimal("-9.291234")]}


def _save_point(hectares: str):
    farm = FarmFactory(hectares=Decimal(hectares), latitude=None, longitude=None)
    DeforestationDeclarationFactory(farm=farm)
    check = farm_set_geometry(farm=farm, geometry=POINT, source="geojson", recorded_by=UserFactory())
    return check, farm_eudr_status(farm)


def test_a_point_locates_a_plot_of_exactly_4_ha():
    check, (status, reasons) = _save_point("4.00")

    assert check.warnings == []
    assert status == EudrStatus.READY
    assert reasons == []


def test_a_point_does_not_locate_a_plot_of_4_01_ha_and_the_message_names_the_limit():
    check, (status, reasons) = _save_point("4.01")

    message = "The plot has 4.01 ha: over 4 ha the EUDR needs a polygon of the boundary, a point is not enough."
    assert check.warnings == [message]
    assert status == EudrStatus.MISSING_GEOMETRY
    assert reasons == [message]


def _enrolled_members(program: AllianceProgram) -> int:
    return program_progress(AllianceProgram.objects.filter(pk=program.pk))[0].enrolled_members


def test_program_progress_does_not_count_a_withdrawn_member_whose_enrolment_is_still_active():
    program = AllianceProgramFactory()
    ProgramEnrollmentFactory(program=program, member=MemberFactory())
    withdrawn = MemberFactory()
    enrolment = ProgramEnrollmentFactory(program=program, member=withdrawn)
    # Withdrawing through members.services closes the enrolments; data imported or edited around it may not.
    Member.objects.filter(pk=withdrawn.pk).update(
        status=Member.Status.WITHDRAWN, withdrawn_on=withdrawn.joined_on, withdrawal_reason="Se mudó a Lima"
    )

    enrolment.refresh_from_db()
    assert enrolment.status == ProgramEnrollment.Status.ACTIVE
    assert _enrolled_members(program) == 1
