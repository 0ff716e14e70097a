"""Writes for the core domain: program enrolments, community projects, staff roles and API tokens."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.models import (
    AllianceProgram,
    ApiToken,
    CommunityProject,
    Partner,
    Region,
    StaffRole,
)
from cooperative.roles import ROLE_GROUP_PREFIX, role_group


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
    staff_access_sync(user=user)
    return staff_role


@transaction.atomic
def staff_access_sync(*, user: AbstractBaseUser) -> None:
    """Keep the user's admin access in step with their roles (after a role is granted, changed or removed).

    The admin is a manager's tool (cooperative.admin_base): staff status goes with the manager role (or
    superuser status) and is taken away when the last manager role goes; the other roles work on the staff
    pages only. The user's role groups (Django permissions, used by the admin) are those of the roles held.
    A user without any role is left as a superuser made them. Cost: a handful of queries.
    """
    held = set(StaffRole.objects.filter(user=user).values_list("role", flat=True))
    wanted = [role_group(role) for role in sorted(held)]
    stale = user.groups.filter(name__startswith=ROLE_GROUP_PREFIX).exclude(pk__in=[group.pk for group in wanted])
    user.groups.remove(*stale)
    user.groups.add(*wanted)
    if held:
        is_staff = user.is_superuser or StaffRole.Role.MANAGER in held
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])
    # The roles cached on the user object (cooperative.access.user_roles) are out of date now.
    user.__dict__.pop("_staff_roles", None)


# -- API tokens -------------------------------------------------------------------------------------


def api_token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a token (the plain token is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, partner: Partner, name: str, created_by: AbstractBaseUser | None) -> tuple[ApiToken, str]:
    """Create a token for the partner; returns it with the plain token, which cannot be recovered later.

    `created_by` is None for tokens created from the command line. The prefix (first 8 characters) is
    unique: on the rare clash with an existing prefix a new token is drawn.
    """
    for _attempt in range(5):
        plain = secrets.token_urlsafe(32)
        prefix = plain[: ApiToken.PREFIX_LENGTH]
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    else:  # pragma: no cover - five clashes in 64**8 prefixes
        raise ValidationError(_("Could not draw a unique token. Try again."))
    token = ApiToken(
        partner=partner, name=name.strip(), prefix=prefix, token_hash=api_token_hash(plain), created_by=created_by
    )
    token.full_clean()
    token.save()
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: AbstractBaseUser | None) -> ApiToken:
    """Revoke a token at once (the row is locked, so two revocations cannot both succeed).

    Raises ValidationError when the token is already revoked. Returns the refreshed token.
    """
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This token was already revoked."))
    locked.revoked_at = timezone.now()
    locked.revoked_by = revoked_by
    locked.full_clean()
    locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return locked
