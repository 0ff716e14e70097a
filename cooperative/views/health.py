"""`/health/` for the load balancer: is this app server able to serve? No login, no data.

200 when the database answers; 503 when it does not (the proxy takes the server out of rotation). The
shared cache (Redis, with REDIS_URL) is reported but does not fail the check: without it pages still
render from the database, and the API refuses requests itself (api.throttling) until it is back.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
PROBE_KEY = "health-probe"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as exc:
        logger.error("Health check: the database does not answer: %s", exc)
        return False


def _cache_ok() -> bool:
    # The default cache forgives a Redis that is down (a miss): a value written and read back tells.
    cache.set(PROBE_KEY, "ok", timeout=10)
    return cache.get(PROBE_KEY) == "ok"


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = _database_ok()
    body = {"database": "ok" if database else "unavailable", "cache": "ok" if _cache_ok() else "unavailable"}
    return JsonResponse(body, status=200 if database else 503)
