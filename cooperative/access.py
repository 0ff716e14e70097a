"""Who may see and change what on the staff pages: roles, and the regions each role covers.

Manager: everything. Technician: reads members and farms. Credit officer: credit pages and member read.
ICS coordinator: certification pages and member read. Everyone is limited to the regions of their roles;
an object outside them answers 404, a page the role may not use answers 403.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cooperative.models import StaffRole
from cooperative.selectors import regions_in_scope

Role = StaffRole.Role
ALL_ROLES = frozenset(Role.values)
MEMBER_READERS = ALL_ROLES
MEMBER_WRITERS = frozenset({Role.MANAGER})
# Record farm visits (the field app and the visit upload API), for the farms of their regions.
VISIT_RECORDERS = frozenset({Role.TECHNICIAN, Role.MANAGER})
# Internal Control System (certifications): coordinators and managers decide and edit; technicians, who
# often serve as internal inspectors, read the ICS pages and record inspections; credit officers: 403.
ICS_MANAGERS = frozenset({Role.MANAGER, Role.ICS_COORDINATOR})
ICS_INSPECTORS = frozenset({Role.MANAGER, Role.ICS_COORDINATOR, Role.TECHNICIAN})
ICS_READERS = ICS_INSPECTORS
# Input credit and harvest deliveries (their settlement repays loans): managers and credit officers only.
CREDIT_ROLES = frozenset({Role.MANAGER, Role.CREDIT_OFFICER})


def user_roles(user: AbstractBaseUser) -> frozenset[str]:
    """The user's staff roles (a superuser counts as manager). Cached on the user object: one query."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_staff_roles", None)
    if cached is None:
        cached = frozenset(StaffRole.objects.filter(user=user).values_list("role", flat=True))
        if user.is_superuser:
            cached |= {Role.MANAGER}
        user._staff_roles = cached
    return cached


def has_role(user: AbstractBaseUser, roles: frozenset[str] | set[str]) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(roles: frozenset[str] | set[str]) -> Callable:
    """View decorator: anonymous users go to the login page; users without one of the roles get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


__all__ = [
    "ALL_ROLES",
    "CREDIT_ROLES",
    "ICS_INSPECTORS",
    "ICS_MANAGERS",
    "ICS_READERS",
    "MEMBER_READERS",
    "MEMBER_WRITERS",
    "Role",
    "VISIT_RECORDERS",
    "has_role",
    "regions_in_scope",
    "role_required",
    "user_roles",
]
