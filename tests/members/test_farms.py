import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members.models import Farm
from members.services import farm_create, farm_update, member_withdraw
from tests.factories import FarmFactory, MemberFactory, region

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-76.0, -9.3], [-75.99, -9.3], [-75.99, -9.29], [-76.0, -9.29], [-76.0, -9.3]]],
}


def test_it_registers_a_farm_in_the_members_region_by_default():
    member = MemberFactory()

    farm = farm_create(member=member, name="La Esperanza", hectares=Decimal("6.00"), crop="cocoa")

    assert farm.region == member.region
    assert Farm.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("hectares", [Decimal("0"), Decimal("-1.5")])
def test_it_rejects_zero_or_negative_hectares_and_writes_nothing(hectares):
    member = MemberFactory()

    with pytest.raises(ValidationError) as excinfo:
        farm_create(member=member, name="La Esperanza", hectares=hectares, crop="cocoa")

    assert "greater than zero" in excinfo.value.message_dict["hectares"][0]
    assert not Farm.objects.exists()


def test_it_rejects_an_implausible_area():
    with pytest.raises(ValidationError) as excinfo:
        farm_create(member=MemberFactory(), name="X", hectares=Decimal("450"), crop="coffee")

    assert "hectares" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("constraint", "hectares"),
    [("members_farm_hectares_positive", Decimal("0")), ("members_farm_hectares_plausible", Decimal("101"))],
)
def test_the_database_refuses_hectares_out_of_range(constraint, hectares):
    farm = FarmFactory.build(member=MemberFactory(), hectares=hectares)

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        farm.save()


def test_production_typed_in_quintals_is_stored_in_kilograms_with_the_unit_kept():
    farm = farm_create(
        member=MemberFactory(),
        name="El Mirador",
        hectares=Decimal("2"),
        crop="coffee",
        production_quantity=Decimal("30"),
        production_unit="qq",
    )

    farm.refresh_from_db()
    assert farm.estimated_production_kg == Decimal("1380.00")
    assert (farm.production_quantity, farm.production_unit) == (Decimal("30.00"), "qq")


def test_a_production_whose_kilograms_do_not_fit_the_column_is_refused():
    member = MemberFactory(region=region("Huánuco"))

    with pytest.raises(ValidationError):
        farm_create(
            member=member,
            name="La Esperanza",
            hectares=Decimal("1"),
            crop="coffee",
            production_quantity=Decimal("9999999999.99"),  # fits its own column ...
            production_unit=Farm.ProductionUnit.EXPORT_BAG,  # ... but × 69 kg needs 12 integer digits
        )
    assert not Farm.objects.exists()


def test_coordinates_must_be_inside_peru():
    with pytest.raises(ValidationError) as excinfo:
        farm_create(
            member=MemberFactory(),
            name="X",
            hectares=Decimal("1"),
            crop="coffee",
            latitude=Decimal("40.416775"),
            longitude=Decimal("-3.703790"),
        )

    assert {"latitude", "longitude"} <= set(excinfo.value.message_dict)


def test_latitude_without_longitude_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        farm_create(member=MemberFactory(), name="X", hectares=Decimal("1"), crop="coffee", latitude=Decimal("-9.3"))

    assert "longitude" in excinfo.value.message_dict


def test_the_database_refuses_coordinates_outside_peru():
    farm = FarmFactory.build(member=MemberFactory(), latitude=Decimal("10"), longitude=Decimal("-75"))

    with pytest.raises(IntegrityError, match="members_farm_coordinates_in_peru"), transaction.atomic():
        farm.save()


def test_a_valid_polygon_boundary_is_accepted():
    farm = farm_create(member=MemberFactory(), name="X", hectares=Decimal("1"), crop="cocoa", boundary=SQUARE)

    assert farm.boundary["type"] == "Polygon"


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [-76.0, -9.3]},
        {"type": "Polygon", "coordinates": [[[-76.0, -9.3], [-75.99, -9.3], [-75.99, -9.29]]]},
        {
            "type": "Polygon",
            "coordinates": [[[-76.0, -9.3], [-75.99, -9.29], [-75.99, -9.3], [-76.0, -9.29], [-76.0, -9.3]]],
        },
        {"type": "Polygon", "coordinates": [[[-3.7, 40.4], [-3.6, 40.4], [-3.6, 40.5], [-3.7, 40.4]]]},
        {"type": "Polygon", "coordinates": "nonsense"},
    ],
    ids=["point", "open-ring", "self-intersecting", "outside-peru", "garbage"],
)
def test_an_invalid_boundary_is_refused_with_a_message(boundary):
    with pytest.raises(ValidationError) as excinfo:
        farm_create(member=MemberFactory(), name="X", hectares=Decimal("1"), crop="cocoa", boundary=boundary)

    assert "boundary" in excinfo.value.message_dict
    assert not Farm.objects.exists()


def test_a_crop_switch_keeps_the_previous_crop_and_date():
    farm = farm_create(
        member=MemberFactory(),
        name="Ex cocal",
        hectares=Decimal("6"),
        crop="cocoa",
        previous_crop="coca",
        crop_changed_on=datetime.date(2013, 5, 15),
        planted_year=2013,
    )

    assert (farm.previous_crop, farm.crop_changed_on) == ("coca", datetime.date(2013, 5, 15))


def test_previous_crop_cannot_equal_the_current_one():
    with pytest.raises(ValidationError) as excinfo:
        farm_create(member=MemberFactory(), name="X", hectares=Decimal("1"), crop="cocoa", previous_crop="cocoa")

    assert "previous_crop" in excinfo.value.message_dict


def test_planting_year_cannot_be_in_the_future():
    with pytest.raises(ValidationError) as excinfo:
        farm_create(
            member=MemberFactory(), name="X", hectares=Decimal("1"), crop="cocoa", planted_year=timezone.now().year + 1
        )

    assert "planted_year" in excinfo.value.message_dict


def test_a_withdrawn_member_cannot_register_farms():
    member = MemberFactory()
    member_withdraw(member=member, withdrawn_on=datetime.date(2026, 1, 5), reason="Retiro voluntario")

    with pytest.raises(ValidationError):
        farm_create(member=member, name="X", hectares=Decimal("1"), crop="cocoa")


def test_farm_names_are_unique_per_member():
    farm = FarmFactory(name="Parcela 1")

    with pytest.raises(ValidationError):
        farm_create(member=farm.member, name="Parcela 1", hectares=Decimal("1"), crop="cocoa")


def test_updating_a_farm_validates_like_creating_it():
    farm = FarmFactory()

    with pytest.raises(ValidationError):
        farm_update(farm=farm, hectares=Decimal("-2"))

    farm.refresh_from_db()
    assert farm.hectares == Decimal("2.50")
