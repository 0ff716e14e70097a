"""Who sees which rows of /api/v1/members|farms|certifications|visits|loans/: every role, every list."""

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

# Each list and the key of its rows that names the member.
LISTS = {
    "members": "code",
    "farms": "member",
    "certifications": "member",
    "visits": "member",
    "loans": "member",
}
ENDPOINTS = pytest.mark.parametrize("endpoint", list(LISTS))


def listed_members(client: Client, endpoint: str) -> list[str]:
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200, response.content
    return sorted(row[LISTS[endpoint]] for row in response.json()["results"])


@ENDPOINTS
def test_partner_a_sees_only_the_rows_of_members_enrolled_in_its_program(partner_a_client, population, endpoint):
    assert listed_members(partner_a_client, endpoint) == ["M-a_consenting", "M-a_private"]


@ENDPOINTS
def test_partner_b_sees_none_of_partner_a_s_members(partner_b_client, population, endpoint):
    assert listed_members(partner_b_client, endpoint) == ["M-b_member"]


@ENDPOINTS
def test_a_manager_sees_the_members_of_its_regions_enrolled_or_not(manager_client, population, endpoint):
    assert listed_members(manager_client, endpoint) == [
        "M-a_consenting",
        "M-a_private",
        "M-a_withdrawn",
        "M-unenrolled",
    ]


@ENDPOINTS
def test_a_technician_sees_only_huanuco_and_no_loan_rows(technician_client, population, endpoint):
    expected = [] if endpoint == "loans" else ["M-a_consenting", "M-a_withdrawn", "M-unenrolled"]

    assert listed_members(technician_client, endpoint) == expected


def test_a_credit_officer_sees_the_loans_of_their_regions(credit_officer_client, population):
    assert listed_members(credit_officer_client, "loans") == ["M-a_consenting", "M-a_withdrawn", "M-unenrolled"]


@ENDPOINTS
def test_anonymous_requests_answer_401(client, population, endpoint):
    assert client.get(f"/api/v1/{endpoint}/").status_code == 401


@ENDPOINTS
def test_a_revoked_token_answers_401(partner_a_client, population, endpoint):
    partner_a_client.token.revoked_at = timezone.now()
    partner_a_client.token.save()

    assert partner_a_client.get(f"/api/v1/{endpoint}/").status_code == 401


@ENDPOINTS
def test_a_user_without_a_staff_role_gets_403(outsider_client, population, endpoint):
    assert outsider_client.get(f"/api/v1/{endpoint}/").status_code == 403


@ENDPOINTS
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_refused_with_405(partner_a_client, manager_client, population, endpoint, method):
    if (endpoint, method) == ("visits", "post"):
        # The one write of the API: phones upload visits (tests/api/test_visit_upload.py). Partners may not.
        assert partner_a_client.post("/api/v1/visits/", {}, content_type="application/json").status_code == 403
        assert manager_client.post("/api/v1/visits/", {}, content_type="application/json").status_code == 400
        return
    for client in (partner_a_client, manager_client):
        response = getattr(client, method)(f"/api/v1/{endpoint}/", {}, content_type="application/json")
        assert response.status_code == 405


def test_a_partner_cannot_filter_on_another_partner_s_program(partner_b_client, program_a, population):
    response = partner_b_client.get("/api/v1/members/", {"program": program_a.code})

    assert response.status_code == 400
    assert "program" in response.json()
