"""What each staff role may do in the admin, as Django groups named after the role.

The groups are (re)built from this table whenever a role is granted, so a new model's permissions
reach the roles without a manual step.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from cooperative.models import StaffRole

DOMAIN_APPS = ("cooperative", "members", "certifications", "credit", "deliveries")

# (app_label, model) pairs a role may add and change; every role may view all domain models.
ROLE_CHANGES: dict[str, tuple[tuple[str, str], ...]] = {
    StaffRole.Role.MANAGER: (),  # all domain models, see role_permissions()
    StaffRole.Role.TECHNICIAN: (("members", "farmvisit"), ("members", "visitpestobservation"), ("members", "farm")),
    StaffRole.Role.CREDIT_OFFICER: (("credit", "loan"), ("credit", "loanline")),
    StaffRole.Role.ICS_COORDINATOR: (
        ("certifications", "certification"),
        ("members", "farm"),
        # Internal Control System reference data; inspections, non-conformities, sanctions and C.A.F.E.
        # verifications are read-only in the admin (written by their services).
        ("certifications", "checklist"),
        ("certifications", "requirement"),
        ("certifications", "inspectorconflict"),
        ("certifications", "groupcertificate"),
    ),
}


def role_permissions(role: str):
    domain = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)
    if role == StaffRole.Role.MANAGER:
        return domain.exclude(codename__startswith="delete_")
    changes = Q(pk__in=[])
    for app_label, model in ROLE_CHANGES[role]:
        changes |= Q(content_type__app_label=app_label, content_type__model=model, codename__regex=r"^(add|change)_")
    return domain.filter(Q(codename__startswith="view_") | changes)


def role_group(role: str) -> Group:
    group, _created = Group.objects.get_or_create(name=f"role:{role}")
    group.permissions.set(role_permissions(role))
    return group
