"""The demo's staff: one user per role, with the password of demo.constants.DEMO_PASSWORD."""

from django.contrib.auth import get_user_model

from cooperative.models import StaffRole
from cooperative.services import staff_role_grant
from demo.constants import DEMO_PASSWORD
from demo.context import Demo

DEMO_USERS = [
    # username, first name, last name, role, regions (None = all)
    ("gerente", "Rosa", "Quispe", StaffRole.Role.MANAGER, None),
    ("tecnico", "Julio", "Huamán", StaffRole.Role.TECHNICIAN, ["Huánuco", "San Martín"]),
    ("credito", "Elena", "Mamani", StaffRole.Role.CREDIT_OFFICER, None),
    ("sci", "Marco", "Espinoza", StaffRole.Role.ICS_COORDINATOR, None),
]


def build_users(demo: Demo) -> dict[str, object]:
    """The demo users by role, each granted its role (over its regions) once; their logins go to the report."""
    User = get_user_model()
    users = {}
    for username, first, last, role, region_names in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            demo.report.count("users")
        if not StaffRole.objects.filter(user=user, role=role).exists():
            regions = [demo.regions[name] for name in region_names or []]
            staff_role_grant(user=user, role=role, regions=regions, all_regions=region_names is None)
        users[role] = user
        demo.report.logins.append((StaffRole.Role(role).label, username, DEMO_PASSWORD))
    return users
