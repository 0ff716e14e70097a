"""Authentication for the partner API: `Authorization: Bearer <token>` for partners, sessions for staff.

A partner request has `request.auth` = the ApiToken and `request.user` = AnonymousUser: a token stands for
an organisation, not a person, and never holds staff roles. Access is decided by `IsPartnerOrStaff`.
"""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cooperative.models import ApiToken
from cooperative.services import api_token_hash

KEYWORD = "Bearer"
# last_used_at is a "roughly when" for the staff page: write it at most once a minute, not per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Find the token by the SHA-256 hash of the presented value (an indexed equality on a digest, so the
    comparison leaks nothing useful about stored tokens). Revoked or unknown tokens answer 401.

    Cost: one query (token and partner), plus one UPDATE at most once a minute per token.
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: let SessionAuthentication try
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use “Bearer <token>”."))
        try:
            plain = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = ApiToken.objects.select_related("partner").filter(token_hash=api_token_hash(plain)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            # Kept for the request log: a partner system still calling with a revoked token shows there.
            request._request.api_refused_token = token
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        self._touch(token)
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to unauthenticated requests.
        return KEYWORD

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
