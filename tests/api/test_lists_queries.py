"""Pinned query counts of the list endpoints: the same for 1 row and 20 rows, per client kind."""

import pytest

from tests.factories import (
    CertificationFactory,
    FarmFactory,
    FarmVisitFactory,
    LoanFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    VisitPestObservationFactory,
)

pytestmark = pytest.mark.django_db

# Queries of the endpoint itself, besides authentication and the request log.
ENDPOINT_QUERIES = {
    "members": 2,  # the page (region joined), the scope's enrolments with their programs
    "farms": 1,  # the page (member and region joined)
    "certifications": 1,  # the page (farm, member, region, standard joined)
    "visits": 2,  # the page (farm, member, technician joined), the pest observations
    "loans": 1,  # the page (member, product, program joined; balances annotated)
}
# 1 token (partner joined), 2 the partner's program ids (its scope) ... 1 request log INSERT.
PARTNER_OVERHEAD = 3
# 1 session, 2 user, 3 staff roles (permission), 4 whether a role covers all regions ... 5 request log INSERT.
STAFF_OVERHEAD = 5


def add_members(count: int, program) -> None:
    """Members of Huánuco enrolled in `program`, each with a farm, certification, visit (with a pest) and loan."""
    for member in MemberFactory.create_batch(count):
        ProgramEnrollmentFactory(program=program, member=member)
        farm = FarmFactory(member=member)
        CertificationFactory(farm=farm)
        VisitPestObservationFactory(visit=FarmVisitFactory(farm=farm))
        LoanFactory(member=member, program=program)


def assert_list_queries(client, endpoint: str, count: int, rows: int, django_assert_num_queries) -> None:
    with django_assert_num_queries(count):
        response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("endpoint", list(ENDPOINT_QUERIES))
def test_the_partner_query_count_is_the_same_for_1_and_20_rows(
    partner_a_client, program_a, endpoint, django_assert_num_queries
):
    count = PARTNER_OVERHEAD + ENDPOINT_QUERIES[endpoint]
    add_members(1, program_a)
    assert_list_queries(partner_a_client, endpoint, count, 1, django_assert_num_queries)

    add_members(19, program_a)
    assert_list_queries(partner_a_client, endpoint, count, 20, django_assert_num_queries)


@pytest.mark.parametrize("endpoint", list(ENDPOINT_QUERIES))
def test_the_staff_query_count_is_the_same_for_1_and_20_rows(
    manager_client, program_a, endpoint, django_assert_num_queries
):
    count = STAFF_OVERHEAD + ENDPOINT_QUERIES[endpoint]
    add_members(1, program_a)
    assert_list_queries(manager_client, endpoint, count, 1, django_assert_num_queries)

    add_members(19, program_a)
    assert_list_queries(manager_client, endpoint, count, 20, django_assert_num_queries)


def test_a_csv_export_costs_the_queries_of_one_page(partner_a_client, program_a, django_assert_num_queries):
    add_members(20, program_a)

    with django_assert_num_queries(PARTNER_OVERHEAD + ENDPOINT_QUERIES["visits"]):
        response = partner_a_client.get("/api/v1/visits/", {"format": "csv"})
        body = b"".join(response.streaming_content)

    assert body.count(b"\n") == 21
