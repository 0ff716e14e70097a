"""Recording deliveries: units and kilograms, the gross amount and its rounding, the product state and the
quality measures of each crop, the farm rules, references, and the database's own checks."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deliveries import services
from deliveries.models import Delivery
from members.models import Farm
from tests import factories
from tests.deliveries.conftest import DELIVERED_ON, record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("quantity", "unit", "kilograms"),
    [
        ("250.50", "kg", Decimal("250.50")),
        ("1", "qq", Decimal("46")),
        ("12.50", "qq", Decimal("575.00")),
        ("1", "bag69", Decimal("69")),
        ("3.25", "bag69", Decimal("224.25")),
    ],
)
def test_it_stores_the_quantity_as_typed_and_in_kilograms(coffee_farm, cashier, quantity, unit, kilograms):
    delivery = record(coffee_farm, cashier, quantity=quantity, unit=unit)

    delivery.refresh_from_db()
    assert delivery.quantity == Decimal(quantity)
    assert delivery.unit == unit
    assert delivery.quantity_kg == kilograms


@pytest.mark.parametrize(
    ("quantity", "price", "gross"),
    [
        ("100.00", "8.50", Decimal("850.00")),
        # 1.25 kg × S/ 1.10 = 1.375: half a céntimo rounds up.
        ("1.25", "1.10", Decimal("1.38")),
        # 10.25 × 3.33 = 34.1325: below half a céntimo rounds down.
        ("10.25", "3.33", Decimal("34.13")),
        # 0.15 kg × S/ 0.03 = 0.0045 -> 0.00 would be nothing to pay: refused below.
    ],
)
def test_the_gross_amount_is_kilograms_times_price_rounded_half_up_to_the_centimo(
    cocoa_farm, cashier, quantity, price, gross
):
    delivery = record(cocoa_farm, cashier, quantity=quantity, price=price)

    delivery.refresh_from_db()
    assert delivery.gross_amount == gross


def test_the_gross_amount_uses_the_kilograms_of_quintals(coffee_farm, cashier):
    # 2.5 qq = 115 kg at S/ 14.13 = 1,624.95
    delivery = record(coffee_farm, cashier, quantity="2.50", unit="qq", price="14.13")

    assert delivery.quantity_kg == Decimal("115.00")
    assert delivery.gross_amount == Decimal("1624.95")


def test_it_refuses_a_delivery_whose_amount_rounds_to_zero(cocoa_farm, cashier):
    with pytest.raises(ValidationError) as error:
        record(cocoa_farm, cashier, quantity="0.15", price="0.03")

    assert "rounds to zero" in error.value.message_dict["price_per_kg"][0]
    assert not Delivery.objects.exists()


def test_it_gives_each_delivery_the_next_reference_of_its_year(cocoa_farm, cashier):
    first = record(cocoa_farm, cashier)
    second = record(cocoa_farm, cashier)
    earlier_year = record(cocoa_farm, cashier, delivered_on=datetime.date(2025, 6, 1))

    assert (first.reference, second.reference) == ("EN-2026-00001", "EN-2026-00002")
    assert earlier_year.reference == "EN-2025-00001"


@pytest.mark.parametrize(
    ("crop", "state"),
    [
        ("coffee", "cherry"),
        ("coffee", "wet_parchment"),
        ("coffee", "dry_parchment"),
        ("coffee", "green"),
        ("cocoa", "wet_beans"),
        ("cocoa", "dry_beans"),
    ],
)
def test_it_accepts_each_product_state_of_the_crop(member, cashier, crop, state):
    farm = factories.FarmFactory(member=member, crop=crop)

    delivery = record(farm, cashier, state=state)

    assert (delivery.crop, delivery.product_state) == (crop, state)


@pytest.mark.parametrize(("crop", "state"), [("coffee", "wet_beans"), ("cocoa", "green"), ("cocoa", "cherry")])
def test_it_refuses_a_product_state_of_the_other_crop(member, cashier, crop, state):
    farm = factories.FarmFactory(member=member, crop=crop)

    with pytest.raises(ValidationError) as error:
        record(farm, cashier, state=state)

    assert "is not a state of" in error.value.message_dict["product_state"][0]


def test_it_records_the_quality_of_coffee(coffee_farm, cashier):
    delivery = record(
        coffee_farm,
        cashier,
        moisture_percent=Decimal("11.50"),
        yield_percent=Decimal("78.00"),
        cup_score=Decimal("84.25"),
    )

    delivery.refresh_from_db()
    assert (delivery.moisture_percent, delivery.yield_percent, delivery.cup_score) == (
        Decimal("11.50"),
        Decimal("78.00"),
        Decimal("84.25"),
    )
    assert delivery.fermentation_percent is None


def test_it_records_the_quality_of_cocoa(cocoa_farm, cashier):
    delivery = record(cocoa_farm, cashier, moisture_percent=Decimal("7.00"), fermentation_percent=Decimal("85.00"))

    delivery.refresh_from_db()
    assert (delivery.moisture_percent, delivery.fermentation_percent) == (Decimal("7.00"), Decimal("85.00"))


@pytest.mark.parametrize(
    ("crop", "field", "message"),
    [
        ("cocoa", "yield_percent", "Only measured on coffee."),
        ("cocoa", "cup_score", "Only measured on coffee."),
        ("coffee", "fermentation_percent", "Only measured on cocoa."),
    ],
)
def test_it_refuses_a_quality_measure_of_the_other_crop(member, cashier, crop, field, message):
    farm = factories.FarmFactory(member=member, crop=crop)

    with pytest.raises(ValidationError) as error:
        record(farm, cashier, **{field: Decimal("80.00")})

    assert error.value.message_dict[field] == [message]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("moisture_percent", "-1.00", "A percentage cannot be negative."),
        ("moisture_percent", "100.01", "A percentage cannot be above 100."),
        ("yield_percent", "101.00", "A percentage cannot be above 100."),
        ("cup_score", "100.50", "The cup score goes from 0 to 100."),
        ("cup_score", "-0.50", "The cup score goes from 0 to 100."),
    ],
)
def test_it_refuses_a_coffee_quality_measure_out_of_range(coffee_farm, cashier, field, value, message):
    with pytest.raises(ValidationError) as error:
        record(coffee_farm, cashier, **{field: Decimal(value)})

    assert message in error.value.message_dict[field]


def test_it_refuses_a_fermentation_above_100_percent(cocoa_farm, cashier):
    with pytest.raises(ValidationError) as error:
        record(cocoa_farm, cashier, fermentation_percent=Decimal("120.00"))

    assert "A percentage cannot be above 100." in error.value.message_dict["fermentation_percent"]


def test_it_refuses_the_farm_of_another_member(cocoa_farm, cashier):
    other_farm = factories.FarmFactory(crop="cocoa")

    with pytest.raises(ValidationError) as error:
        services.delivery_record(
            member=cocoa_farm.member,
            farm=other_farm,
            delivered_on=DELIVERED_ON,
            product_state="dry_beans",
            quantity=Decimal("10"),
            unit="kg",
            price_per_kg=Decimal("8.00"),
            received_by=cashier,
        )

    assert error.value.message_dict["farm"] == ["The farm does not belong to the member."]


def test_it_refuses_a_retired_farm(member, cashier):
    farm = factories.FarmFactory(member=member, status=Farm.Status.RETIRED)

    with pytest.raises(ValidationError) as error:
        record(farm, cashier)

    assert "retired" in error.value.message_dict["farm"][0]


def test_it_refuses_a_withdrawn_member(cocoa_farm, cashier):
    member = cocoa_farm.member
    member.status = "withdrawn"
    member.withdrawn_on = datetime.date(2026, 9, 1)
    member.save()

    with pytest.raises(ValidationError) as error:
        record(cocoa_farm, cashier)

    assert error.value.message_dict["member"] == ["Only an active member can deliver."]


def test_it_refuses_a_delivery_dated_in_the_future(cocoa_farm, cashier):
    with pytest.raises(ValidationError) as error:
        record(cocoa_farm, cashier, delivered_on=datetime.date.today() + datetime.timedelta(days=2))

    assert "future" in error.value.message_dict["delivered_on"][0]


@pytest.mark.parametrize(("quantity", "field"), [("0", "quantity"), ("-5", "quantity"), ("10.005", "quantity")])
def test_it_refuses_a_quantity_that_is_not_positive_céntimos_of_a_unit(cocoa_farm, cashier, quantity, field):
    with pytest.raises(ValidationError) as error:
        record(cocoa_farm, cashier, quantity=quantity)

    assert field in error.value.message_dict


def test_a_recorded_delivery_cannot_be_edited_or_deleted(delivery):
    delivery.price_per_kg = Decimal("9.00")

    with pytest.raises(ValidationError, match="append-only"):
        delivery.save()
    with pytest.raises(ValidationError, match="append-only"):
        delivery.delete()
    delivery.refresh_from_db()
    assert delivery.price_per_kg == Decimal("8.50")


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"quantity_kg": Decimal("101.00")}, "deliveries_delivery_kg_of_unit"),
        (
            {"unit": "qq", "quantity_kg": Decimal("100.00"), "gross_amount": Decimal("850.00")},
            "deliveries_delivery_kg_of_unit",
        ),
        ({"gross_amount": Decimal("900.00")}, "deliveries_delivery_gross_is_kg_times_price"),
        ({"product_state": "green"}, "deliveries_delivery_state_of_crop"),
        ({"cup_score": Decimal("80")}, "deliveries_delivery_yield_and_cup_only_coffee"),
        ({"moisture_percent": Decimal("150")}, "deliveries_delivery_moisture_range"),
    ],
)
def test_the_database_refuses_a_delivery_that_breaks_its_rules(cocoa_farm, changes, constraint):
    """The checks hold even for a row written without the service (an import script, the shell)."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        factories.DeliveryFactory(farm=cocoa_farm, **changes)


def test_the_factory_builds_a_delivery_that_passes_full_clean(cocoa_farm):
    delivery = factories.DeliveryFactory(farm=cocoa_farm)

    delivery.full_clean()
    assert delivery.gross_amount == Decimal("850.00")
