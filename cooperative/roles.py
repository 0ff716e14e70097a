"""The Django permissions that go with each staff role, as groups named after the role.

The admin is a manager's tool (cooperative.admin_base): the manager's group holds the view, add and change
permissions of every domain model (no delete: records are withdrawn, reversed or closed by their services),
and those of the login lockout records (view, and delete to unlock a user). The other roles work on the
staff pages, which check the role itself, so their groups hold no permission. The groups are (re)built from
this table whenever a role is granted, so a new model's permissions reach the manager without a manual step.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from cooperative.models import StaffRole

ROLE_GROUP_PREFIX = "role:"
DOMAIN_APPS = ("cooperative", "members", "certifications", "credit", "deliveries")
# django-axes: a manager unlocks a user by deleting their failed attempts ("Intentos de acceso").
LOCKOUT_PERMISSIONS = Q(content_type__app_label="axes") & (
    Q(codename__startswith="view_") | Q(codename="delete_accessattempt")
)


def role_permissions(role: str) -> QuerySet[Permission]:
    if role != StaffRole.Role.MANAGER:
        return Permission.objects.none()
    domain = Q(content_type__app_label__in=DOMAIN_APPS) & ~Q(codename__startswith="delete_")
    return Permission.objects.filter(domain | LOCKOUT_PERMISSIONS)


def role_group(role: str) -> Group:
    group, _created = Group.objects.get_or_create(name=f"{ROLE_GROUP_PREFIX}{role}")
    group.permissions.set(role_permissions(role))
    return group
