"""GET /api/v1/eudr/geojson/ for partners (in and out of scope), staff, outsiders and anonymous clients;
its parameters; its query count. And the EUDR readiness in GET /api/v1/reports/summary/."""

import datetime
import io
import json
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from cooperative.models import ProgramEnrollment
from members.eudr.geolocation import farm_set_geometry
from tests.factories import (
    DeforestationDeclarationFactory,
    DeliveryFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    eudr_square,
    region,
)

pytestmark = [pytest.mark.django_db]

URL = "/api/v1/eudr/geojson/"
SUMMARY = "/api/v1/reports/summary/"
CONSENTED = datetime.date(2024, 1, 1)


def features(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(b"".join(response.streaming_content))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    return data["features"]


def place(farm) -> str:
    return f"{farm.member.code}-P{farm.pk}"


@pytest.fixture
def farms(program_a, program_b):
    """Ready farms: Ana (Huánuco, consents) and Pedro (San Martín, no consent) in A's program; Beto
    (Huánuco) in no program; Diego (Cusco) in B's program. Not ready: Ana's second farm (no declaration)."""
    ana = MemberFactory(code="A-1", region=region("Huánuco"), consents_to_share=True, consent_date=CONSENTED)
    pedro = MemberFactory(code="P-1", region=region("San Martín"))
    beto = MemberFactory(code="B-1", region=region("Huánuco"))
    diego = MemberFactory(code="D-1", region=region("Cusco"), consents_to_share=True, consent_date=CONSENTED)
    ProgramEnrollmentFactory(program=program_a, member=ana)
    ProgramEnrollmentFactory(program=program_a, member=pedro, status=ProgramEnrollment.Status.COMPLETED)
    ProgramEnrollmentFactory(program=program_b, member=diego)
    result = {}
    for key, member in {"ana": ana, "pedro": pedro, "beto": beto, "diego": diego}.items():
        result[key] = FarmFactory(member=member)
        DeforestationDeclarationFactory(farm=result[key])
    result["ana_undeclared"] = FarmFactory(member=ana)
    return result


def test_partner_a_gets_the_ready_farms_of_its_program_s_members(partner_a_client, farms):
    found = features(partner_a_client.get(URL))

    assert [feature["properties"]["ProductionPlace"] for feature in found] == [
        place(farms["ana"]),
        place(farms["pedro"]),
    ]


def test_partner_names_only_for_members_who_consent(partner_a_client, farms):
    found = features(partner_a_client.get(URL, {"producer_name": "true"}))

    names = {feature["properties"]["ProductionPlace"]: feature["properties"].get("ProducerName") for feature in found}
    assert names == {place(farms["ana"]): farms["ana"].member.full_name, place(farms["pedro"]): None}


def test_partner_b_sees_nothing_of_partner_a_and_cannot_name_its_farms_or_program(partner_b_client, farms):
    assert [f["properties"]["ProductionPlace"] for f in features(partner_b_client.get(URL))] == [place(farms["diego"])]

    response = partner_b_client.get(URL, {"farms": f"{farms['ana'].pk},{farms['diego'].pk}"})
    assert response.status_code == 400
    assert response.json() == {"farms": [f"Unknown farms, or outside your scope: {farms['ana'].pk}"]}
    assert partner_b_client.get(URL, {"program": "LWR-CACAO"}).json() == {
        "program": ["Unknown program, or not one of yours."]
    }


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [("manager_client", ["ana", "pedro", "beto"]), ("technician_client", ["ana", "beto"])],
)
def test_staff_get_the_ready_farms_of_their_regions(request, client_name, expected, farms):
    client = request.getfixturevalue(client_name)

    found = features(client.get(URL))

    assert [feature["properties"]["ProductionPlace"] for feature in found] == [place(farms[key]) for key in expected]


@pytest.mark.parametrize("client_name", ["credit_officer_client", "ics_client"])
def test_other_staff_roles_read_the_file_of_their_regions_like_the_other_lists(request, client_name, farms):
    # The API is open to every staff role within its regions (IsPartnerOrStaff), as the farm list is.
    assert request.getfixturevalue(client_name).get(URL).status_code == 200


def test_anonymous_and_revoked_tokens_get_401_and_outsiders_403(partner_a_client, outsider_client):
    assert Client().get(URL).status_code == 401
    assert outsider_client.get(URL).status_code == 403
    partner_a_client.token.revoked_at = timezone.now()
    partner_a_client.token.save()
    assert partner_a_client.get(URL).status_code == 401


def test_the_filters_narrow_the_file(partner_a_client, farms):
    DeliveryFactory(farm=farms["ana"], delivered_on=datetime.date(2026, 6, 1))

    def places(params) -> list[str]:
        return [feature["properties"]["ProductionPlace"] for feature in features(partner_a_client.get(URL, params))]

    assert places({"program": "LWR-CACAO"}) == [place(farms["ana"]), place(farms["pedro"])]
    assert places({"region": "San Martín"}) == [place(farms["pedro"])]
    assert places({"region": "10"}) == [place(farms["ana"])]
    assert places({"farms": str(farms["pedro"].pk)}) == [place(farms["pedro"])]
    assert places({"delivered_from": "2026-01-01", "delivered_to": "2026-12-31"}) == [place(farms["ana"])]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"farms": "1,x"}, "farms"),
        ({"farms": "99999999999999999999"}, "farms"),
        ({"delivered_from": "2026-13-01"}, "delivered_from"),
        ({"delivered_from": "2026-02-01", "delivered_to": "2026-01-01"}, "delivered_from"),
        ({"region": "Atlantis"}, "region"),
        ({"program": "NOPE"}, "program"),
        ({"producer_name": "perhaps"}, "producer_name"),
        ({"farms": ""}, "farms"),  # given empty: not taken for "all farms"
        ({"delivered_to": ""}, "delivered_to"),
        ({"producer_name": ""}, "producer_name"),
        ({"region": " "}, "region"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(partner_a_client, params, parameter):
    response = partner_a_client.get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_errors_are_json_even_when_a_geojson_file_is_asked_for(partner_a_client):
    response = partner_a_client.get(URL, {"farms": "x"}, headers={"Accept": "application/geo+json"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_large_export_comes_as_a_zip(manager_client, farms, settings):
    settings.EUDR_EXPORT_MAX_FILE_BYTES = 400

    response = manager_client.get(URL)

    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert len(archive.namelist()) >= 2
        assert all(len(archive.read(name)) <= 400 for name in archive.namelist())


def add_ready_farms(program, count: int, user, start: int = 0) -> None:
    """`count` ready farms with a boundary each, side by side (not overlapping) from the `start`th place."""
    for n in range(start, start + count):
        member = MemberFactory(region=region("Huánuco"))
        ProgramEnrollmentFactory(program=program, member=member)
        farm = FarmFactory(member=member)
        DeforestationDeclarationFactory(farm=farm)
        geometry = eudr_square(-75.995 + 0.005 * n, -9.295, 2.5)
        farm_set_geometry(farm=farm, geometry=geometry, source="geojson", recorded_by=user)


@pytest.mark.parametrize(("client_name", "expected"), [("partner_a_client", 4), ("manager_client", 6)])
def test_the_query_count_is_the_same_for_1_and_20_farms(
    request, client_name, expected, program_a, django_assert_num_queries
):
    client = request.getfixturevalue(client_name)
    user = UserFactory(username="registro")
    # Partner: 1 token, 2 its program ids; staff: 1 session, 2 user, 3 staff roles, 4 whether a role covers
    # all regions. Then the farms (one query, read in chunks) and the request log INSERT.
    add_ready_farms(program_a, 1, user)
    with django_assert_num_queries(expected):
        assert len(features(client.get(URL))) == 1
    add_ready_farms(program_a, 19, user, start=1)
    with django_assert_num_queries(expected):
        assert len(features(client.get(URL))) == 20


# -- reports/summary/ ---------------------------------------------------------------------------------


def test_the_summary_reports_eudr_readiness_of_the_client_s_farms(partner_a_client, manager_client, farms):
    partner = partner_a_client.get(SUMMARY).json()["eudr"]
    staff = manager_client.get(SUMMARY).json()["eudr"]

    assert partner == {
        "farms": 3,
        "located": 3,
        "ready": 2,
        "ready_percent": 67,
        "by_region": [
            {"region": "Huánuco", "farms": 2, "located": 2, "ready": 1},
            {"region": "San Martín", "farms": 1, "located": 1, "ready": 1},
        ],
        "by_program": [{"program": "LWR-CACAO", "farms": 3, "located": 3, "ready": 2}],
    }
    assert (staff["farms"], staff["ready"]) == (4, 3)
    assert staff["by_program"] == [{"program": "LWR-CACAO", "farms": 3, "located": 3, "ready": 2}]


def test_the_summary_s_eudr_figures_follow_its_filters(manager_client, farms):
    assert manager_client.get(SUMMARY, {"region": "San Martín"}).json()["eudr"]["farms"] == 1
    assert manager_client.get(SUMMARY, {"crop": "coffee"}).json()["eudr"]["farms"] == 0
    assert manager_client.get(SUMMARY, {"program": "LWR-CACAO"}).json()["eudr"]["ready"] == 2


def test_the_summary_schema_describes_the_eudr_figures(manager_client):
    schema = manager_client.get("/api/v1/schema/", {"format": "json"}).json()

    assert "eudr" in schema["components"]["schemas"]["Summary"]["properties"]
    assert "/api/v1/eudr/geojson/" in schema["paths"]
