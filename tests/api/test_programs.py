"""GET /api/v1/programs/ and /api/v1/programs/{id}/ for every kind of client."""

import pytest
from django.test import Client

from api.views import IdCursorPagination
from cooperative.models import AllianceProgram
from tests.factories import AllianceProgramFactory, region, standard

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"


def listed_codes(response) -> list[str]:
    assert response.status_code == 200
    return [row["code"] for row in response.json()["results"]]


def test_partner_a_lists_and_reads_its_program(partner_a_client, program_a, program_b):
    program_a.standards.set([standard("rainforest_alliance")])
    program_a.regions.add(region("San Martín"))

    assert listed_codes(partner_a_client.get(URL)) == ["LWR-CACAO"]
    response = partner_a_client.get(f"{URL}{program_a.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": program_a.pk,
        "code": "LWR-CACAO",
        "name": program_a.name,
        "partner": "Lutheran World Relief",
        "crops": ["cocoa"],
        "regions": ["Huánuco", "San Martín"],
        "standards": ["rainforest_alliance"],
        "starts_on": "2012-02-01",
        "ends_on": "2030-12-31",
        "target_farmers_certified": 500,
        "target_beneficiaries": 1000,
    }


def test_partner_b_neither_lists_nor_reads_partner_a_s_program(partner_b_client, program_a, program_b):
    assert listed_codes(partner_b_client.get(URL)) == ["CCS-CAFE"]
    assert partner_b_client.get(f"{URL}{program_a.pk}/").status_code == 404


def test_a_manager_session_sees_the_programs_of_its_regions(manager_client, program_a, program_b):
    san_martin = AllianceProgramFactory(code="SM-1", regions=[region("San Martín")])

    assert listed_codes(manager_client.get(URL)) == ["LWR-CACAO", "SM-1"]
    assert manager_client.get(f"{URL}{san_martin.pk}/").status_code == 200
    assert manager_client.get(f"{URL}{program_b.pk}/").status_code == 404


def test_a_technician_sees_only_programs_touching_its_regions(technician_client, program_a, program_b):
    AllianceProgramFactory(code="SM-1", regions=[region("San Martín")])
    both = AllianceProgramFactory(code="MIX-1", regions=[region("Cusco"), region("Huánuco")])

    assert listed_codes(technician_client.get(URL)) == ["LWR-CACAO", "MIX-1"]
    assert technician_client.get(f"{URL}{both.pk}/").status_code == 200
    assert technician_client.get(f"{URL}{program_b.pk}/").status_code == 404


@pytest.mark.parametrize("client_name", ["credit_officer_client", "ics_client"])
def test_other_staff_roles_see_programs_of_their_regions(request, client_name, program_a, program_b):
    assert listed_codes(request.getfixturevalue(client_name).get(URL)) == ["LWR-CACAO"]


@pytest.mark.parametrize("client_name", ["partner_a_client", "manager_client"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_refused_with_405(request, client_name, method, program_a):
    client = request.getfixturevalue(client_name)
    url = URL if method == "post" else f"{URL}{program_a.pk}/"

    response = getattr(client, method)(url, {"code": "X"}, content_type="application/json")

    assert response.status_code == 405
    program_a.refresh_from_db()
    assert program_a.code == "LWR-CACAO"
    assert AllianceProgram.objects.count() == 1


@pytest.mark.parametrize("url", [URL, f"{URL}1/"])
def test_anonymous_gets_401(url, program_a):
    assert Client().get(url).status_code == 401


def test_the_list_is_paginated_by_cursor_in_id_order(partner_a_client, partner_a, monkeypatch):
    programs = AllianceProgramFactory.create_batch(3, partner=partner_a)
    monkeypatch.setattr(IdCursorPagination, "page_size", 2)

    first = partner_a_client.get(URL).json()
    second = partner_a_client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [p.pk for p in programs[:2]]
    assert [row["id"] for row in second["results"]] == [programs[2].pk]
    assert second["next"] is None


def list_queries(client, django_assert_num_queries, count: int) -> None:
    with django_assert_num_queries(count):
        assert client.get(URL).status_code == 200


def test_the_partner_list_query_count_is_the_same_for_1_and_20_programs(
    partner_a_client, partner_a, django_assert_num_queries
):
    AllianceProgramFactory(partner=partner_a, standards=[standard("rainforest_alliance")])
    # 1 token (partner joined), 2 page of programs (partner joined), 3 their regions, 4 their standards,
    # 5 the request log INSERT.
    list_queries(partner_a_client, django_assert_num_queries, 5)

    AllianceProgramFactory.create_batch(19, partner=partner_a, standards=[standard("organic")])
    list_queries(partner_a_client, django_assert_num_queries, 5)
    assert len(partner_a_client.get(URL).json()["results"]) == 20


def test_the_staff_list_query_count_is_the_same_for_1_and_20_programs(manager_client, django_assert_num_queries):
    AllianceProgramFactory()
    # 1 session, 2 user, 3 staff roles (permission), 4 whether a role covers all regions, 5 page of
    # programs, 6 their regions, 7 their standards, 8 the request log INSERT.
    list_queries(manager_client, django_assert_num_queries, 8)

    AllianceProgramFactory.create_batch(19)
    list_queries(manager_client, django_assert_num_queries, 8)
