"""Writes for the core domain: program enrolments, community projects and staff roles."""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.models import AllianceProgram, CommunityProject, ProgramEnrollment, Region, StaffRole
from cooperative.roles import role_group
from members.models import Member


@transaction.atomic
def enrollment_create(*, program: AllianceProgram, member: Member, enrolled_on: datetime.date) -> ProgramEnrollment:
    """Enrol a member in a program (once per program and member)."""
    if member.status != Member.Status.ACTIVE:
        raise ValidationError({"member": _("Only active members can be enrolled.")})
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": _("The enrolment date cannot be in the future.")})
    if not program.regions.filter(pk=member.region_id).exists():
        raise ValidationError({"member": _("The member's region is not covered by this program.")})
    if ProgramEnrollment.objects.filter(program=program, member=member).exists():
        raise ValidationError({"member": _("The member is already enrolled in this program.")})
    enrollment = ProgramEnrollment(program=program, member=member, enrolled_on=enrolled_on)
    enrollment.full_clean()
    enrollment.save()
    return enrollment


@transaction.atomic
def enrollments_create(*, program: AllianceProgram, members: Iterable[Member], enrolled_on: datetime.date) -> int:
    """Enrol several members in one transaction: all of them, or none when one is refused.

    Returns how many were enrolled. A member enrolled by someone else meanwhile ends the whole batch with a
    ValidationError (nothing written). Cost: enrollment_create's few queries per member.
    """
    count = 0
    try:
        with transaction.atomic():
            for member in members:
                enrollment_create(program=program, member=member, enrolled_on=enrolled_on)
                count += 1
    except IntegrityError:
        raise ValidationError(
            _("Another user enrolled members at the same time. Nothing was written; try again.")
        ) from None
    return count


@transaction.atomic
def community_project_create(
    *,
    name: str,
    region: Region,
    beneficiaries: int,
    program: AllianceProgram | None = None,
    community: str = "",
    description: str = "",
    completed_on: datetime.date | None = None,
) -> CommunityProject:
    if completed_on and completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("The completion date cannot be in the future.")})
    project = CommunityProject(
        name=name,
        region=region,
        beneficiaries=beneficiaries,
        program=program,
        community=community,
        description=description,
        completed_on=completed_on,
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def staff_role_grant(
    *, user: AbstractBaseUser, role: str, regions: Iterable[Region] = (), all_regions: bool = False
) -> StaffRole:
    """Give a user a role over some regions (or all). Granting a role again replaces its regions."""
    regions = list(regions)
    if not all_regions and not regions:
        raise ValidationError({"regions": _("Choose at least one region, or all regions.")})
    staff_role, _created = StaffRole.objects.select_for_update().get_or_create(
        user=user, role=role, defaults={"all_regions": all_regions}
    )
    staff_role.all_regions = all_regions
    staff_role.full_clean()
    staff_role.save()
    staff_role.regions.set([] if all_regions else regions)
    # Staff roles work in the admin: they need staff status and their role's permissions.
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(role_group(role))
    return staff_role
