"""The members list's `search` parameter: every word in the names (accents and case ignored), code or DNI.
A partner's words match names and DNI only of members who consented to share them."""

import datetime

import pytest

from tests.factories import MemberFactory, ProgramEnrollmentFactory, region

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["code"] for row in response.json()["results"])


@pytest.fixture
def enrolled(program_a):
    for code, consents, dni in (("HU-00001", True, "41234567"), ("HU-00002", False, "47654321")):
        member = MemberFactory(
            code=code,
            first_names="Rosa",
            last_names="Núñez Ñique",
            dni=dni,
            consents_to_share=consents,
            consent_date=datetime.date(2024, 1, 5) if consents else None,
            region=region("Huánuco"),
        )
        ProgramEnrollmentFactory(program=program_a, member=member)
    MemberFactory(code="HU-00003", first_names="Óscar", last_names="Pérez", region=region("Huánuco"))


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("nunez", ["HU-00001", "HU-00002"]),
        ("NIQUE rosa", ["HU-00001", "HU-00002"]),
        ("oscar", ["HU-00003"]),
        ("47654321", ["HU-00002"]),
        ("nuñes", []),
    ],
)
def test_staff_search_members_ignoring_accents(manager_client, enrolled, search, expected):
    assert codes(manager_client.get("/api/v1/members/", {"search": search})) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [("nunez", ["HU-00001"]), ("47654321", []), ("41234567", ["HU-00001"]), ("hu-00002", ["HU-00002"])],
)
def test_a_partner_finds_names_and_dni_only_of_members_who_consented(partner_a_client, enrolled, search, expected):
    assert codes(partner_a_client.get("/api/v1/members/", {"search": search})) == expected


def test_a_search_longer_than_100_characters_is_refused_with_the_field_named(manager_client, enrolled):
    response = manager_client.get("/api/v1/members/", {"search": "n" * 101})

    assert response.status_code == 400
    assert "search" in response.json()
