"""The field app's "my farms" search ignores accents and case in names and places: "junin" finds Junín."""

import pytest

from tests.factories import FarmFactory, MemberFactory, region

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("q", "expected"),
    [("junin", ["La Peña"]), ("pena", ["La Peña"]), ("nunez", ["La Peña"]), ("monzon", ["Bajo Monzón"]), ("nuñes", [])],
)
def test_my_farms_search_ignores_accents_and_case(technician_client, q, expected):
    nunez = MemberFactory(region=region("Huánuco"), first_names="Rosa", last_names="Núñez")
    FarmFactory(name="La Peña", member=nunez, crop="cocoa", community="Nuevo Junín", district="Rupa-Rupa")
    FarmFactory(name="Bajo Monzón", member=MemberFactory(region=region("Huánuco"), last_names="Pérez"), crop="cocoa")

    result = technician_client.get("/field/", {"q": q}).context["result"]

    assert [farm.name for farm in result.farms] == expected
