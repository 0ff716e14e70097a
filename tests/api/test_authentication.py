"""Who gets in (Bearer token, staff session), throttling per client and the request log."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from cooperative.models import ApiRequestLog, ApiToken
from cooperative.services import api_token_revoke
from tests.api.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"


def test_a_valid_bearer_token_gets_in(partner_a_client, program_a):
    response = partner_a_client.get(URL)
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["LWR-CACAO"]


def test_a_wrong_token_is_refused_with_401(token_a):
    response = Client().get(URL, headers={"Authorization": f"Bearer {token_a.plain_token}x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_malformed_authorization_header_is_refused_with_401(token_a):
    response = Client().get(URL, headers={"Authorization": f"Bearer {token_a.plain_token} extra"})
    assert response.status_code == 401


def test_a_revoked_token_is_refused_with_401(partner_a_client):
    api_token_revoke(token=partner_a_client.token, revoked_by=None)

    response = partner_a_client.get(URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "This token has been revoked."}


def test_anonymous_requests_are_refused_with_401():
    response = Client().get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_logged_in_user_without_staff_role_is_refused_with_403(outsider_client):
    assert outsider_client.get(URL).status_code == 403


def test_the_token_s_last_use_is_recorded_at_most_once_a_minute(partner_a_client):
    token = partner_a_client.token
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    before = timezone.now()

    partner_a_client.get(URL)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None and before <= first_use <= timezone.now()

    partner_a_client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    before = timezone.now()
    partner_a_client.get(URL)
    token.refresh_from_db()
    assert before <= token.last_used_at <= timezone.now()


def test_staff_session_posts_need_a_csrf_token(manager_client):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_client.user)

    response = client.post(URL, {})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.fixture
def two_per_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "2/minute"}}


def test_a_token_over_its_rate_gets_429_with_retry_after(two_per_minute, partner_a_client, partner_b_client):
    assert [partner_a_client.get(URL).status_code for _ in range(3)] == [200, 200, 429]

    response = partner_a_client.get(URL)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # The rate is per token: partner B is not slowed down by partner A.
    assert partner_b_client.get(URL).status_code == 200


def test_a_staff_user_over_the_rate_gets_429(two_per_minute, manager_client):
    assert [manager_client.get(URL).status_code for _ in range(3)] == [200, 200, 429]


def test_every_request_is_logged_with_prefix_path_and_status(partner_a_client, program_a, manager_client):
    token = partner_a_client.token
    partner_a_client.get(URL)
    partner_a_client.get(f"{URL}{program_a.pk + 1000}/")
    partner_a_client.post(URL, {})
    Client().get(URL, headers={"Authorization": "Bearer not-a-token"})
    manager_client.get(f"{URL}{program_a.pk}/")

    fields = ("token", "token_prefix", "user", "method", "path", "status_code")
    logs = list(ApiRequestLog.objects.order_by("id").values_list(*fields))
    assert logs == [
        (token.pk, token.prefix, None, "GET", URL, 200),
        (token.pk, token.prefix, None, "GET", f"{URL}{program_a.pk + 1000}/", 404),
        (token.pk, token.prefix, None, "POST", URL, 405),
        (None, "", None, "GET", URL, 401),
        (None, "", manager_client.user.pk, "GET", f"{URL}{program_a.pk}/", 200),
    ]


def test_a_revoked_token_s_refusals_are_logged_under_that_token(partner_a_client):
    token = partner_a_client.token
    api_token_revoke(token=token, revoked_by=None)
    partner_a_client.get(URL)
    assert list(ApiRequestLog.objects.values_list("token", "token_prefix", "status_code")) == [
        (token.pk, token.prefix, 401)
    ]


def test_a_second_token_of_the_same_partner_is_independent(partner_a_client, program_a):
    other = ApiTokenFactory(partner=partner_a_client.token.partner)
    api_token_revoke(token=partner_a_client.token, revoked_by=None)
    response = Client().get(URL, headers={"Authorization": f"Bearer {other.plain_token}"})
    assert response.status_code == 200
