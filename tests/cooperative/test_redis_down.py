"""With REDIS_URL set and Redis down: pages still render, the API refuses (503), /health/ tells.

The caches point at a port where nothing listens, as when the shared Redis is stopped in production.
"""

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from cooperative.views import health
from tests.api.factories import ApiTokenFactory
from tests.factories import AllianceProgramFactory

NOTHING_LISTENS = "redis://127.0.0.1:1/0"
_OPTIONS = {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": NOTHING_LISTENS,
        "OPTIONS": {**_OPTIONS, "IGNORE_EXCEPTIONS": True},
    },
    "limits": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": NOTHING_LISTENS, "OPTIONS": _OPTIONS},
}


@pytest.fixture
def redis_down():
    with override_settings(CACHES=REDIS_DOWN):
        yield


def test_staff_pages_render_from_the_database_while_redis_is_down(manager_client, redis_down):
    for name in ("dashboard", "member_list"):
        response = manager_client.get(reverse(name))

        assert response.status_code == 200, name


@pytest.mark.spanish
def test_the_api_refuses_with_503_rather_than_serve_uncounted_requests(db, client, redis_down):
    program = AllianceProgramFactory()
    token = ApiTokenFactory(partner=program.partner)

    response = client.get("/api/v1/programs/", headers={"Authorization": f"Bearer {token.plain_token}"})

    assert response.status_code == 503
    assert response.json()["detail"] == "La API no puede contar las solicitudes ahora. Inténtelo en un minuto."


def test_the_api_counts_again_once_redis_is_back(db, client):
    program = AllianceProgramFactory()
    token = ApiTokenFactory(partner=program.partner)

    response = client.get("/api/v1/programs/", headers={"Authorization": f"Bearer {token.plain_token}"})

    assert response.status_code == 200


def test_health_is_ok_while_the_database_answers_and_reports_the_cache(db, client, redis_down):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "unavailable"}


def test_health_is_ok_with_both(db, client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


class _DeadConnection:
    def cursor(self):
        raise OperationalError("connection refused")


def test_health_is_503_when_the_database_does_not_answer(db, client, monkeypatch):
    monkeypatch.setattr(health, "connection", _DeadConnection())

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_health_needs_no_login_and_takes_only_get(db, client):
    assert client.get("/health/").status_code == 200
    assert client.post("/health/").status_code == 405
