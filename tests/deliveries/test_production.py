"""The production report: delivered (in the estimate's product state) against the estimates of active farms,
per member and crop, totals per region and crop, for a period, in kg, quintals and 69 kg bags; its XLSX export;
its query count. Figures are checked against sums computed directly from the tables."""

import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.db.models import Sum
from django.urls import reverse

from deliveries import selectors, services
from deliveries.filters import default_period
from deliveries.models import Delivery
from members.models import Farm
from tests import factories
from tests.deliveries.conftest import record

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEASON = (datetime.date(2026, 4, 1), datetime.date(2026, 10, 31))
CENT = Decimal("0.01")


def per_unit(kg: Decimal, unit_kg: int) -> Decimal:
    return (kg / unit_kg).quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def season(cashier):
    """Members of Huánuco and San Martín (the manager's regions) and of Cusco (nobody's), with farms and
    deliveries in and out of the April–October season, in several product states, one of them reversed."""
    huanuco, san_martin, cusco = (factories.region(name) for name in ("Huánuco", "San Martín", "Cusco"))
    ana = factories.MemberFactory(code="BA-00001", region=huanuco)
    beto = factories.MemberFactory(code="BA-00002", region=huanuco)
    carla = factories.MemberFactory(code="SM-00001", region=san_martin)
    dino = factories.MemberFactory(code="CU-00001", region=cusco)
    idle = factories.MemberFactory(code="BA-00003", region=huanuco)  # a farm without estimate, no delivery
    factories.FarmFactory(member=idle, crop="cocoa", estimated_production_kg=None)

    ana_cocoa = factories.FarmFactory(member=ana, crop="cocoa", estimated_production_kg=Decimal("1500.00"))
    ana_coffee = factories.FarmFactory(member=ana, crop="coffee", estimated_production_kg=Decimal("920.00"))
    factories.FarmFactory(member=ana, crop="coffee", estimated_production_kg=Decimal("460.00"))
    factories.FarmFactory(member=ana, crop="coffee", estimated_production_kg=Decimal("999.00"), status="retired")
    beto_cocoa = factories.FarmFactory(member=beto, crop="cocoa", estimated_production_kg=Decimal("800.00"))
    carla_coffee = factories.FarmFactory(member=carla, crop="coffee", estimated_production_kg=Decimal("1380.00"))
    dino_coffee = factories.FarmFactory(member=dino, crop="coffee", estimated_production_kg=Decimal("690.00"))

    april, june, august = datetime.date(2026, 4, 1), datetime.date(2026, 6, 15), datetime.date(2026, 10, 31)
    record(ana_cocoa, cashier, quantity="300.00", delivered_on=april)
    record(ana_cocoa, cashier, quantity="250.50", delivered_on=august)
    record(ana_cocoa, cashier, quantity="900.00", state="wet_beans", delivered_on=june)  # another state
    record(ana_cocoa, cashier, quantity="999.00", delivered_on=datetime.date(2026, 3, 31))  # before the season
    record(ana_cocoa, cashier, quantity="777.00", delivered_on=datetime.date(2026, 11, 1))  # after it
    record(ana_coffee, cashier, quantity="10.00", unit="qq", delivered_on=june)  # 460 kg dry parchment
    record(ana_coffee, cashier, quantity="2.00", unit="bag69", delivered_on=june)  # 138 kg
    record(ana_coffee, cashier, quantity="1200.00", state="cherry", delivered_on=june)
    wrong = record(beto_cocoa, cashier, quantity="500.00", delivered_on=june)
    services.delivery_reverse(delivery=wrong, reversed_on=june, reason="Duplicada", reversed_by=cashier)
    record(beto_cocoa, cashier, quantity="120.25", delivered_on=june)
    record(carla_coffee, cashier, quantity="15.00", unit="qq", delivered_on=june)  # 690 kg
    record(dino_coffee, cashier, quantity="5.00", unit="qq", delivered_on=june)
    return {"ana": ana, "beto": beto, "carla": carla, "dino": dino, "idle": idle}


def report_for(client_user, **kwargs):
    return selectors.production_report(user=client_user, date_from=SEASON[0], date_to=SEASON[1], **kwargs)


def direct_delivered(member, crop: str, state: str) -> Decimal:
    return Delivery.objects.filter(
        member=member, crop=crop, product_state=state, delivered_on__range=SEASON, reversal__isnull=True
    ).aggregate(kg=Sum("quantity_kg"))["kg"] or Decimal("0")


def direct_estimated(member, crop: str) -> Decimal:
    return Farm.objects.filter(member=member, crop=crop, status="active").aggregate(kg=Sum("estimated_production_kg"))[
        "kg"
    ] or Decimal("0")


def rows_by_key(report) -> dict:
    return {(row.member.code, row.crop): row for row in report.rows}


def test_each_member_and_crop_has_its_delivered_and_estimated_kilograms(manager_client, season):
    report = report_for(manager_client.user)

    rows = rows_by_key(report)
    assert sorted(rows) == [
        ("BA-00001", "cocoa"),
        ("BA-00001", "coffee"),
        ("BA-00002", "cocoa"),
        ("SM-00001", "coffee"),
    ]
    estimate_state = {"cocoa": "dry_beans", "coffee": "dry_parchment"}
    for (code, crop), row in rows.items():
        member = season[{"BA-00001": "ana", "BA-00002": "beto", "SM-00001": "carla"}[code]]
        assert row.delivered_kg == direct_delivered(member, crop, estimate_state[crop]), (code, crop)
        assert row.estimated_kg == direct_estimated(member, crop), (code, crop)
    assert rows[("BA-00001", "cocoa")].delivered_kg == Decimal("550.50")  # both season ends included
    assert rows[("BA-00001", "coffee")].delivered_kg == Decimal("598.00")  # 10 qq + 2 bags
    assert rows[("BA-00001", "coffee")].estimated_kg == Decimal("1380.00")  # the retired farm does not count
    assert rows[("BA-00002", "cocoa")].delivered_kg == Decimal("120.25")  # the reversed delivery does not count


def test_deliveries_in_other_states_are_listed_apart_and_not_converted(manager_client, season):
    rows = rows_by_key(report_for(manager_client.user))

    assert rows[("BA-00001", "cocoa")].other_states == [("Wet cocoa beans (baba)", Decimal("900.00"))]
    assert rows[("BA-00001", "coffee")].other_states == [("Coffee cherry", Decimal("1200.00"))]


def test_figures_are_given_in_quintals_and_export_bags_too(manager_client, season):
    row = rows_by_key(report_for(manager_client.user))[("BA-00001", "coffee")]

    assert (row.delivered_qq, row.delivered_bags) == (per_unit(Decimal("598.00"), 46), per_unit(Decimal("598.00"), 69))
    assert (row.delivered_qq, row.delivered_bags) == (Decimal("13.00"), Decimal("8.67"))
    assert (row.estimated_qq, row.estimated_bags) == (Decimal("30.00"), Decimal("20.00"))
    assert row.percent_of_estimate == Decimal("43.3")  # 598 / 1,380


def test_totals_per_region_and_crop_are_the_sums_of_the_members(manager_client, season):
    report = report_for(manager_client.user)

    totals = {(total.region.name, total.crop): total for total in report.totals}
    assert sorted(totals) == [("Huánuco", "cocoa"), ("Huánuco", "coffee"), ("San Martín", "coffee")]
    for (region_name, crop), total in totals.items():
        delivered = Delivery.objects.filter(
            member__region__name=region_name,
            crop=crop,
            product_state={"cocoa": "dry_beans", "coffee": "dry_parchment"}[crop],
            delivered_on__range=SEASON,
            reversal__isnull=True,
        ).aggregate(kg=Sum("quantity_kg"))["kg"]
        estimated = Farm.objects.filter(member__region__name=region_name, crop=crop, status="active").aggregate(
            kg=Sum("estimated_production_kg")
        )["kg"]
        assert total.delivered_kg == delivered, (region_name, crop)
        assert total.estimated_kg == estimated, (region_name, crop)
    assert totals[("Huánuco", "cocoa")].members == 2
    assert totals[("Huánuco", "cocoa")].delivered_qq == per_unit(Decimal("670.75"), 46)
    crop_totals = {total.crop: total for total in report.crop_totals}
    assert crop_totals["coffee"].delivered_kg == Decimal("1288.00")  # 598 + 690; Cusco is out of scope
    assert crop_totals["coffee"].estimated_kg == Decimal("2760.00")


def test_the_report_keeps_to_the_users_regions(credit_officer_client, season):
    report = report_for(credit_officer_client.user)

    assert {row.member.region.name for row in report.rows} == {"Huánuco"}


def test_the_report_narrows_to_a_region_and_a_crop(manager_client, season):
    report = report_for(manager_client.user, region=factories.region("Huánuco"), crop="coffee")

    assert list(rows_by_key(report)) == [("BA-00001", "coffee")]


def test_the_default_period_is_the_last_twelve_months():
    assert default_period(datetime.date(2026, 11, 29)) == (datetime.date(2025, 11, 30), datetime.date(2026, 11, 29))
    assert default_period(datetime.date(2024, 2, 29)) == (datetime.date(2023, 3, 1), datetime.date(2024, 2, 29))


def test_the_page_shows_the_report_for_the_period_chosen(manager_client, season):
    response = manager_client.get(
        reverse("production_report"), {"date_from": "2026-04-01", "date_to": "2026-10-31"}, **EN
    )

    report = response.context["report"]
    assert (report.date_from, report.date_to) == SEASON
    content = response.content.decode()
    for text in ["BA-00001", "SM-00001", "550.50", "Wet cocoa beans (baba): 900.00 kg", "43.3 %", "All regions"]:
        assert text in content, text
    assert "CU-00001" not in content


def test_the_page_defaults_to_the_last_twelve_months(manager_client, season):
    response = manager_client.get(reverse("production_report"))

    assert (response.context["report"].date_from, response.context["report"].date_to) == default_period()


def xlsx_sheets(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def test_the_export_has_the_members_and_the_totals(manager_client, season):
    response = manager_client.get(
        reverse("production_report_export"), {"date_from": "2026-04-01", "date_to": "2026-10-31"}, **EN
    )

    assert response["Content-Disposition"] == 'attachment; filename="production-2026-04-01-2026-10-31.xlsx"'
    sheets = xlsx_sheets(response)
    members, totals = sheets["Members"], sheets["Totals"]
    assert members[0][:5] == ("Region", "Member code", "Member", "Crop", "Delivered (kg)")
    ana_coffee = next(row for row in members[1:] if row[1] == "BA-00001" and row[3] == "Coffee")
    assert ana_coffee[4:11] == (598, 13, 8.67, 1380, 30, 20, 43.3)
    assert ana_coffee[11] == "Coffee cherry: 1200.00"
    assert len(members) == 1 + 4
    assert totals[0][:4] == ("Region", "Crop", "Members", "Delivered (kg)")
    assert totals[-2:] and [row[:4] for row in totals[-2:]] == [
        ("All regions", "Coffee", 2, 1288),
        ("All regions", "Cocoa", 2, 670.75),
    ]


def _members_with_deliveries(count: int, cashier) -> None:
    for _ in range(count):
        member = factories.MemberFactory(region=factories.region("Huánuco"))
        farm = factories.FarmFactory(member=member, crop="cocoa")
        record(farm, cashier, delivered_on=datetime.date(2026, 6, 1))
        record(farm, cashier, delivered_on=datetime.date(2026, 7, 1), state="wet_beans")


@pytest.mark.parametrize("count", [1, 20])
def test_the_report_query_count_does_not_grow_with_its_members(
    credit_officer_client, django_assert_num_queries, cashier, count
):
    _members_with_deliveries(count, cashier)

    # session, user, staff roles; scope for the form's region choices (validation) and for the report; the
    # delivered kilograms; the estimates; the members with their region; the region select's choices.
    with django_assert_num_queries(9):
        response = credit_officer_client.get(reverse("production_report"))

    assert len(response.context["report"].rows) == count


@pytest.mark.parametrize("count", [1, 20])
def test_the_export_query_count_does_not_grow_with_its_members(
    credit_officer_client, django_assert_num_queries, cashier, count
):
    _members_with_deliveries(count, cashier)

    # session, user, staff roles; scope for the form and for the report; delivered; estimates; members.
    with django_assert_num_queries(8):
        sheets = xlsx_sheets(credit_officer_client.get(reverse("production_report_export"), **EN))

    assert len(sheets["Members"]) == 1 + count
