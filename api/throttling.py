"""Rate limit per API client: per token for partners, per user for staff sessions."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.permissions import request_token


class ApiClientRateThrottle(SimpleRateThrottle):
    """Rate `api_client` (settings REST_FRAMEWORK DEFAULT_THROTTLE_RATES, env API_THROTTLE_RATE).

    Keyed on the token prefix (unique) or the staff user's id; unauthenticated requests are not
    throttled here, they are refused before any work is done. Over the rate DRF answers 429 with
    Retry-After. State lives in the default cache (per process with locmem: use a shared cache such as
    Redis when several processes serve the API).
    """

    scope = "api_client"

    def get_rate(self) -> str:
        # Read at request time (DRF binds THROTTLE_RATES at import), so settings overrides take effect.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"Set REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['{self.scope}'].") from None

    def get_cache_key(self, request: Request, view) -> str | None:
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
