"""The staff members list's search ignores accents and case in the names: "nunez" finds Núñez."""

import pytest
from django.urls import reverse

from tests.factories import MemberFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(db):
    MemberFactory(code="HU-00001", first_names="Rosa", last_names="Núñez Ñique", region=region("Huánuco"))
    MemberFactory(code="HU-00002", first_names="Óscar", last_names="Pérez", region=region("Huánuco"))
    MemberFactory(code="CU-00003", first_names="Rosa", last_names="Núñez", region=region("Cusco"))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("nunez", ["HU-00001"]),
        ("NIQUE", ["HU-00001"]),
        ("ñique rosa", ["HU-00001"]),
        ("oscar perez", ["HU-00002"]),
        ("Óscar", ["HU-00002"]),
        ("hu-0000", ["HU-00001", "HU-00002"]),
        ("nuñes", []),
    ],
)
def test_the_members_search_ignores_accents_and_case_within_the_users_regions(manager_client, members, q, expected):
    response = manager_client.get(reverse("member_list"), {"q": q})

    assert [member.code for member in response.context["page_obj"]] == expected
