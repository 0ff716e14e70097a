"""ApiScope: a partner sees its programs and the members enrolled in them; staff see their regions."""

import datetime

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from api.scope import ApiScope
from cooperative.models import ProgramEnrollment
from tests.factories import (
    AllianceProgramFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    region,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(program_a, program_b):
    """Members of A's program (active, completed, withdrawn), of B's program, and of no program."""
    cusco = region("Cusco")
    members = {
        "a_active": MemberFactory(consents_to_share=True, consent_date=datetime.date(2020, 1, 1)),
        "a_completed": MemberFactory(),
        "a_withdrawn": MemberFactory(),
        "b_active": MemberFactory(region=cusco),
        "nobody": MemberFactory(),
    }
    ProgramEnrollmentFactory(program=program_a, member=members["a_active"])
    ProgramEnrollmentFactory(
        program=program_a, member=members["a_completed"], status=ProgramEnrollment.Status.COMPLETED
    )
    ProgramEnrollmentFactory(
        program=program_a, member=members["a_withdrawn"], status=ProgramEnrollment.Status.WITHDRAWN
    )
    ProgramEnrollmentFactory(program=program_b, member=members["b_active"])
    for member in members.values():
        FarmFactory(member=member, name=f"farm of {member.code}")
    return members


def scope_for(*, token=None, user=None) -> ApiScope:
    request = APIRequestFactory().get("/api/v1/programs/")
    force_authenticate(request, user=user, token=token)
    return ApiScope.for_request(Request(request))


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_partner_a_sees_its_programs_only(token_a, program_a, program_b):
    scope = scope_for(token=token_a)
    assert scope.is_partner
    assert list(scope.programs()) == [program_a]


def test_partner_a_sees_members_enrolled_active_or_completed_in_its_programs(token_a, people):
    scope = scope_for(token=token_a)
    assert codes(scope.members()) == {people["a_active"].code, people["a_completed"].code}
    assert {farm.member for farm in scope.farms()} == {people["a_active"], people["a_completed"]}


def test_partner_b_sees_none_of_partner_a_s_members_or_farms(token_b, people):
    scope = scope_for(token=token_b)
    assert codes(scope.members()) == {people["b_active"].code}
    assert [farm.member for farm in scope.farms()] == [people["b_active"]]


def test_a_member_in_two_partners_programs_is_listed_once_for_each(token_a, token_b, people, program_b):
    ProgramEnrollmentFactory(program=program_b, member=people["a_active"])
    AllianceProgramFactory(partner=token_a.partner)  # a second program of A, without that member
    assert scope_for(token=token_a).members().filter(pk=people["a_active"].pk).count() == 1
    assert people["a_active"].code in codes(scope_for(token=token_b).members())


def test_partners_see_personal_data_only_of_members_who_consented(token_a, people):
    scope = scope_for(token=token_a)
    assert scope.can_see_personal_data(people["a_active"]) is True
    assert scope.can_see_personal_data(people["a_completed"]) is False


def test_staff_see_members_programs_and_farms_of_their_regions_with_personal_data(
    technician_client, people, program_a, program_b
):
    scope = scope_for(user=technician_client.user)
    assert not scope.is_partner
    assert list(scope.programs()) == [program_a]
    huanuco_members = {member.code for key, member in people.items() if key != "b_active"}
    assert codes(scope.members()) == huanuco_members
    assert {farm.member.code for farm in scope.farms()} == huanuco_members
    assert scope.can_see_personal_data(people["a_completed"]) is True


def test_a_user_without_regions_sees_nothing(outsider_client, people):
    scope = scope_for(user=outsider_client.user)
    assert not scope.programs().exists()
    assert not scope.members().exists()
    assert not scope.farms().exists()
