"""Reads of the ground: the regions a staff user's roles cover, the technicians covering regions and the
programs overlapping them. Lazy querysets, usable as subqueries.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from cooperative.models import AllianceProgram, Region, StaffRole


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


def technicians_covering(regions: QuerySet[Region]) -> QuerySet[AbstractBaseUser]:
    """Users holding the technician role for one of `regions` (or for all regions), by name. Lazy: one
    query when read, `regions` staying a subquery."""
    grants = StaffRole.objects.filter(user=OuterRef("pk"), role=StaffRole.Role.TECHNICIAN).filter(
        Q(all_regions=True) | Q(regions__in=regions)
    )
    return get_user_model().objects.filter(Exists(grants)).order_by("first_name", "last_name", "username")


# -- alliance programs --------------------------------------------------------------------------------


def programs_in_scope(regions: QuerySet[Region]) -> QuerySet[AllianceProgram]:
    """Programs covering at least one of `regions` (lazy; no duplicates, no DISTINCT needed)."""
    overlap = AllianceProgram.regions.through.objects.filter(allianceprogram=OuterRef("pk"), region__in=regions)
    return AllianceProgram.objects.filter(Exists(overlap))
