"""members.services.enrollment_create: once per program, only inside the program's regions and dates, never
for a withdrawn member."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperative.models import ProgramEnrollment
from members.services import enrollment_create, member_withdraw
from tests.factories import AllianceProgramFactory, MemberFactory, region

pytestmark = pytest.mark.django_db


def test_a_member_is_enrolled_once_per_program():
    program = AllianceProgramFactory()
    member = MemberFactory()
    enrollment_create(program=program, member=member, enrolled_on=datetime.date(2013, 1, 1))

    with pytest.raises(ValidationError):
        enrollment_create(program=program, member=member, enrolled_on=datetime.date(2013, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramEnrollment.objects.create(program=program, member=member, enrolled_on=datetime.date(2014, 1, 1))

    assert ProgramEnrollment.objects.count() == 1


def test_enrolment_is_refused_outside_the_programs_regions():
    program = AllianceProgramFactory(regions=[region("Huánuco")])

    with pytest.raises(ValidationError) as excinfo:
        enrollment_create(
            program=program, member=MemberFactory(region=region("Cusco")), enrolled_on=datetime.date(2013, 1, 1)
        )

    assert "member" in excinfo.value.message_dict
    assert not ProgramEnrollment.objects.exists()


def test_enrolment_before_the_program_starts_is_refused():
    program = AllianceProgramFactory(starts_on=datetime.date(2012, 2, 1))

    with pytest.raises(ValidationError) as excinfo:
        enrollment_create(program=program, member=MemberFactory(), enrolled_on=datetime.date(2011, 12, 31))

    assert "enrolled_on" in excinfo.value.message_dict


def test_a_withdrawn_member_cannot_be_enrolled():
    member = MemberFactory()
    member = member_withdraw(member=member, withdrawn_on=datetime.date(2025, 1, 1), reason="Retiro")

    with pytest.raises(ValidationError):
        enrollment_create(program=AllianceProgramFactory(), member=member, enrolled_on=datetime.date(2024, 1, 1))
