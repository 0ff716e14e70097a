"""Reads for the core domain: the regions a staff user may see."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from cooperative.models import Region, StaffRole


def regions_in_scope(user: AbstractBaseUser, roles: str | Iterable[str] | None = None) -> QuerySet[Region]:
    """Regions covered by the user's roles (one role, several, or any). Superusers see every region.

    One query to learn whether a role covers all regions; the result is a lazy queryset usable as a
    subquery (``region__in=regions_in_scope(user)``).
    """
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    grants = StaffRole.objects.filter(user=user)
    if roles is not None:
        grants = grants.filter(role__in=[roles] if isinstance(roles, str) else list(roles))
    if grants.filter(all_regions=True).exists():
        return Region.objects.all()
    return Region.objects.filter(staff_roles__in=grants).distinct()
