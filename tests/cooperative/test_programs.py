"""Regions, alliance programs and community projects, staff roles and their region scope, and the program history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperative.models import AllianceProgram, CommunityProject, Region, StaffRole
from cooperative.selectors import regions_in_scope
from cooperative.services import community_project_create, staff_role_grant
from tests.factories import AllianceProgramFactory, PartnerFactory, UserFactory, region

pytestmark = pytest.mark.django_db


def test_the_departments_of_peru_are_seeded_with_their_ubigeo_codes():
    assert Region.objects.count() == 25
    assert Region.objects.get(name="Huánuco").ubigeo_code == "10"
    assert set(
        Region.objects.filter(name__in=["Cusco", "Junín", "San Martín"]).values_list("ubigeo_code", flat=True)
    ) == {
        "08",
        "12",
        "22",
    }


def test_a_program_cannot_end_before_it_starts():
    program = AllianceProgramFactory.build(
        partner=PartnerFactory(), starts_on=datetime.date(2012, 2, 1), ends_on=datetime.date(2011, 1, 1)
    )

    with pytest.raises(ValidationError) as excinfo:
        program.full_clean()
    assert "ends_on" in excinfo.value.message_dict
    with pytest.raises(IntegrityError, match="cooperative_program_dates_ordered"), transaction.atomic():
        program.save()


@pytest.mark.parametrize("crops", [[], ["coca"], ["cocoa", "cocoa"], "cocoa"])
def test_a_program_needs_one_or_more_known_crops(crops):
    program = AllianceProgramFactory.build(partner=PartnerFactory(), crops=crops)

    with pytest.raises(ValidationError) as excinfo:
        program.full_clean()

    assert "crops" in excinfo.value.message_dict


def test_a_community_project_counts_positive_beneficiaries():
    with pytest.raises(ValidationError):
        community_project_create(name="Escuela", region=region(), beneficiaries=0)
    with (
        pytest.raises(IntegrityError, match="cooperative_communityproject_beneficiaries_positive"),
        transaction.atomic(),
    ):
        CommunityProject.objects.create(name="Escuela", region=region(), beneficiaries=0)

    project = community_project_create(name="Escuela", region=region(), beneficiaries=200)
    assert project.beneficiaries == 200


def test_a_staff_role_scopes_the_user_to_its_regions():
    user = UserFactory()

    staff_role_grant(user=user, role=StaffRole.Role.TECHNICIAN, regions=[region("Huánuco"), region("San Martín")])

    assert set(regions_in_scope(user).values_list("name", flat=True)) == {"Huánuco", "San Martín"}
    assert not regions_in_scope(user, StaffRole.Role.CREDIT_OFFICER).exists()
    user.refresh_from_db()
    # Technicians work on the staff pages; the admin is for managers (cooperative.admin_base).
    assert not user.is_staff


def test_a_user_may_hold_several_roles_and_an_all_regions_scope():
    user = UserFactory()
    staff_role_grant(user=user, role=StaffRole.Role.TECHNICIAN, regions=[region("Cusco")])
    staff_role_grant(user=user, role=StaffRole.Role.MANAGER, all_regions=True)

    assert regions_in_scope(user).count() == 25
    assert list(regions_in_scope(user, StaffRole.Role.TECHNICIAN).values_list("name", flat=True)) == ["Cusco"]


def test_a_role_needs_a_region_scope():
    with pytest.raises(ValidationError):
        staff_role_grant(user=UserFactory(), role=StaffRole.Role.TECHNICIAN, regions=[])

    assert not StaffRole.objects.exists()


def test_the_same_role_twice_is_refused_by_the_database():
    user = UserFactory()
    StaffRole.objects.create(user=user, role="manager")

    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRole.objects.create(user=user, role="manager")


def test_program_history_is_audited():
    program = AllianceProgramFactory()
    before = AllianceProgram.history.filter(id=program.pk).count()
    program.target_beneficiaries = 1200
    program.save()

    records = AllianceProgram.history.filter(id=program.pk).order_by("history_date")
    assert records.count() == before + 1
    assert records.last().target_beneficiaries == 1200
