"""Who may use the API at all: a partner's valid token, or a logged-in user holding a staff role."""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from cooperative.access import user_roles
from cooperative.models import ApiToken


def request_token(request: Request) -> ApiToken | None:
    """The partner token that authenticated the request, or None (a staff session or nobody)."""
    return request.auth if isinstance(request.auth, ApiToken) else None


class IsPartnerOrStaff(BasePermission):
    """Allow a partner token (BearerTokenAuthentication refuses revoked ones) or a staff user.

    A logged-in user without a staff role gets 403; nobody authenticated gets 401. Cost: one query for
    the user's roles (cached on the user).
    """

    def has_permission(self, request: Request, view) -> bool:
        if request_token(request) is not None:
            return True
        return bool(user_roles(request.user))
