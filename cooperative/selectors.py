"""Reads for the core domain: the regions a staff user may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from cooperative.models import Region, StaffRole


def regions_in_scope(user: AbstractBaseUser, role: str | None = None) -> QuerySet[Region]:
    """Regions covered by the user's roles (one role, or any). Superusers see every region. Two queries."""
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    roles = StaffRole.objects.filter(user=user)
    if role is not None:
        roles = roles.filter(role=role)
    if roles.filter(all_regions=True).exists():
        return Region.objects.all()
    return Region.objects.filter(staff_roles__in=roles).distinct()
