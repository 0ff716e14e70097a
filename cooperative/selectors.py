"""Reads of the ground: the regions a staff user's roles cover, the technicians covering regions, the
programs overlapping them and their community projects, and the partner API tokens. Lazy querysets, usable
as subqueries.
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

from cooperative.models import AllianceProgram, ApiToken, CommunityProject, Region, StaffRole


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


def region_in_scope(user: AbstractBaseUser, roles: str | Iterable[str] | None, region_id: int) -> bool:
    """Whether the user's roles (as for regions_in_scope) cover the region. Two queries at most."""
    return regions_in_scope(user, roles).filter(pk=region_id).exists()


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


def program_community_projects(program: AllianceProgram, *, regions: QuerySet[Region]) -> QuerySet[CommunityProject]:
    """The program's community projects in `regions`, region joined. One query (lazy)."""
    return program.community_projects.filter(region__in=regions).select_related("region")


def api_tokens() -> QuerySet[ApiToken]:
    """Every partner API token, newest first, partner and the users who created and revoked it joined: one
    query, whatever the number of tokens."""
    return ApiToken.objects.select_related("partner", "created_by", "revoked_by").order_by("-created_at", "-id")


def api_tokens_with_partner() -> QuerySet[ApiToken]:
    """Every partner API token with its partner joined (the revoke page names it). Lazy."""
    return ApiToken.objects.select_related("partner")
