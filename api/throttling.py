"""Rate limit per API client: per token for partners, per user for staff sessions."""

import logging

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext_lazy as _
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.permissions import request_token

logger = logging.getLogger(__name__)


class ThrottleUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The API cannot count requests right now. Try again in a minute.")
    default_code = "throttle_unavailable"


class ApiClientRateThrottle(SimpleRateThrottle):
    """Rate `api_client` (settings REST_FRAMEWORK DEFAULT_THROTTLE_RATES, env API_THROTTLE_RATE).

    Keyed on the token prefix (unique) or the staff user's id; unauthenticated requests are not
    throttled here, they are refused before any work is done. Over the rate DRF answers 429 with
    Retry-After. State lives in the "limits" cache: Redis shared by every app server with REDIS_URL (so the
    limit holds however many processes serve the API), one process's memory without. It fails closed: when
    the cache cannot be read or written (Redis down) the request is refused with 503, never let through
    uncounted.
    """

    scope = "api_client"
    cache = ConnectionProxy(caches, "limits")

    def allow_request(self, request: Request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (ConnectionInterrupted, RedisError) as exc:
            logger.error("API throttle unavailable: %s", exc)
            raise ThrottleUnavailable from exc

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
