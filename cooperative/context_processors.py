from django.conf import settings
from django.http import HttpRequest

from cooperative.access import user_roles


def navigation(request: HttpRequest) -> dict:
    """The cooperative's name and the user's roles, for the navigation in base.html."""
    roles = user_roles(request.user) if hasattr(request, "user") else frozenset()
    return {"cooperative_name": settings.COOPERATIVE_NAME, "staff_roles": roles}
