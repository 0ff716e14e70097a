"""Filters and pagination of the list endpoints; a bad parameter answers 400 naming it."""

import datetime

import pytest

from members.models import FarmVisit, Member
from tests.factories import MemberFactory, ProgramEnrollmentFactory

pytestmark = pytest.mark.django_db


def codes(response, key: str = "code") -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


@pytest.mark.parametrize("region", ["San Martín", "22", "san martín"])
def test_members_filter_by_region_name_or_ubigeo_code(manager_client, population, region):
    assert codes(manager_client.get("/api/v1/members/", {"region": region})) == ["M-a_private"]


def test_lists_filter_by_program_code_or_id(manager_client, program_a, population):
    by_code = codes(manager_client.get("/api/v1/farms/", {"program": "LWR-CACAO"}), "member")
    by_id = codes(manager_client.get("/api/v1/visits/", {"program": program_a.pk}), "member")

    assert by_code == by_id == ["M-a_consenting", "M-a_private"]


def test_loans_filter_by_their_financing_program(partner_a_client, population):
    assert codes(partner_a_client.get("/api/v1/loans/", {"program": "LWR-CACAO"}), "reference") == [
        "CR-a_consenting",
        "CR-a_private",
    ]


def test_certifications_filter_by_standard_and_status(partner_a_client, population):
    assert len(codes(partner_a_client.get("/api/v1/certifications/", {"standard": "rainforest_alliance"}), "id")) == 2
    assert codes(partner_a_client.get("/api/v1/certifications/", {"standard": "organic"}), "id") == []
    assert codes(partner_a_client.get("/api/v1/certifications/", {"status": "certified"}), "id") == []


def test_members_filter_by_crop_status_and_joining_dates(manager_client, population):
    Member.objects.filter(code="M-unenrolled").update(joined_on=datetime.date(2020, 6, 1))
    Member.objects.filter(code="M-a_private").update(status="inactive")

    assert codes(manager_client.get("/api/v1/members/", {"joined_after": "2020-01-01"})) == ["M-unenrolled"]
    assert "M-unenrolled" not in codes(manager_client.get("/api/v1/members/", {"joined_before": "2019-12-31"}))
    assert codes(manager_client.get("/api/v1/members/", {"status": "inactive"})) == ["M-a_private"]
    assert codes(manager_client.get("/api/v1/members/", {"crop": "coffee"})) == []
    assert len(codes(manager_client.get("/api/v1/members/", {"crop": "cocoa"}))) == 4


def test_visits_filter_by_date_range_and_purpose(partner_a_client, population):
    FarmVisit.objects.filter(farm__member__code="M-a_private").update(
        visited_on=datetime.date(2025, 3, 1), purpose="training"
    )

    in_2025 = {"visited_after": "2025-01-01", "visited_before": "2025-12-31"}
    assert codes(partner_a_client.get("/api/v1/visits/", in_2025), "member") == ["M-a_private"]
    assert codes(partner_a_client.get("/api/v1/visits/", {"purpose": "training"}), "member") == ["M-a_private"]


@pytest.mark.parametrize("since", ["2030-01-01", "2030-01-01T00:00:00Z"])
@pytest.mark.parametrize("endpoint", ["members", "farms", "certifications", "visits", "loans"])
def test_updated_since_takes_a_date_or_a_datetime(partner_a_client, population, endpoint, since):
    assert partner_a_client.get(f"/api/v1/{endpoint}/", {"updated_since": since}).json()["results"] == []
    assert len(partner_a_client.get(f"/api/v1/{endpoint}/", {"updated_since": "2020-01-01"}).json()["results"]) == 2


@pytest.mark.parametrize(
    ("endpoint", "params", "parameter"),
    [
        ("members", {"joined_after": "2024-13-45"}, "joined_after"),
        ("members", {"region": "Atlantis"}, "region"),
        ("members", {"region": "99"}, "region"),
        ("members", {"status": "sleeping"}, "status"),
        ("members", {"program": "NOPE"}, "program"),
        ("members", {"program": "999999"}, "program"),
        ("farms", {"crop": "tea"}, "crop"),
        ("certifications", {"standard": "fairtrade"}, "standard"),
        ("certifications", {"valid_until_before": "yesterday"}, "valid_until_before"),
        ("visits", {"visited_before": "2024-02-30"}, "visited_before"),
        ("loans", {"updated_since": "2024-13-45"}, "updated_since"),
        ("loans", {"page_size": "-1"}, "page_size"),
        ("farms", {"page_size": "0"}, "page_size"),
        ("visits", {"page_size": "501"}, "page_size"),
        ("certifications", {"page_size": "ten"}, "page_size"),
        ("programs", {"cursor": "bz14"}, "cursor"),  # "o=x": not an offset
        ("members", {"cursor": "abc"}, "cursor"),  # not base64
        # A parameter given empty is not taken for "no filter": the schema says what its value must be.
        ("members", {"updated_since": ""}, "updated_since"),
        ("farms", {"updated_since": " "}, "updated_since"),
        ("members", {"joined_after": ""}, "joined_after"),
        ("visits", {"visited_before": ""}, "visited_before"),
        ("certifications", {"valid_until_before": ""}, "valid_until_before"),
        ("loans", {"disbursed_after": ""}, "disbursed_after"),
        ("farms", {"crop": ""}, "crop"),
        ("loans", {"status": ""}, "status"),
        ("certifications", {"region": ""}, "region"),
        ("visits", {"program": ""}, "program"),
        ("loans", {"page_size": ""}, "page_size"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it(partner_a_client, population, endpoint, params, parameter):
    response = partner_a_client.get(f"/api/v1/{endpoint}/", params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [parameter]


def test_a_bad_parameter_answers_json_400_even_when_a_file_is_asked_for(partner_a_client, population):
    response = partner_a_client.get("/api/v1/members/", {"format": "csv", "joined_after": "2024-13-45"})

    assert response.status_code == 400
    assert list(response.json()) == ["joined_after"]


def test_cursor_pages_walk_every_row_once_in_id_order(partner_a_client, program_a, population):
    for member in MemberFactory.create_batch(5):
        ProgramEnrollmentFactory(program=program_a, member=member)

    seen, url = [], "/api/v1/members/?page_size=3"
    while url:
        page = partner_a_client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["code"] for row in page["results"]]
        url = page["next"]

    expected = Member.objects.filter(enrollments__program=program_a, enrollments__status__in=["active", "completed"])
    assert seen == list(expected.order_by("id").values_list("code", flat=True))
    assert len(seen) == 7


@pytest.mark.parametrize("endpoint", ["members", "farms", "certifications", "visits", "loans"])
@pytest.mark.parametrize(
    ("since", "rows"),
    [
        ("0073-01-27T13:44:18.16+23:45", 2),  # an offset ISO 8601 allows and PostgreSQL refuses: sent in UTC
        ("0001-01-01T00:00:00+05:00", 2),  # before year 1 once in UTC: the first moment there is
        ("9999-12-31T23:00:00-05:00", 0),  # after year 9999 once in UTC: the last moment there is
    ],
)
def test_updated_since_at_the_edges_of_the_calendar_is_a_moment_like_any_other(
    partner_a_client, population, endpoint, since, rows
):
    response = partner_a_client.get(f"/api/v1/{endpoint}/", {"updated_since": since})

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("endpoint", ["members", "farms", "certifications", "visits", "loans"])
@pytest.mark.parametrize("param", ["program", "region", "page_size"])
def test_unicode_digits_in_parameters_answer_400_not_a_server_error(partner_a_client, population, endpoint, param):
    response = partner_a_client.get(f"/api/v1/{endpoint}/", {param: "³"})

    assert response.status_code == 400
    assert param in response.json()
