"""Staff pages of deliveries: each role (tests/conftest.py: the manager covers Huánuco and San Martín, the credit
officer Huánuco), the scope (Cusco is nobody's), recording a delivery, its page, settling it from a preview,
reversing it, and the query counts of the list and the page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import LoanTransaction, TransactionKind
from deliveries import services
from deliveries.models import Delivery, DeliveryReversal, Settlement
from deliveries.views.deliveries import loan_url
from tests import factories
from tests.deliveries.conftest import PAID_ON, make_loan, record

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ALLOWED = ["manager_client", "credit_officer_client"]
FORBIDDEN = ["technician_client", "ics_client", "outsider_client"]


@pytest.fixture
def page_urls(delivery):
    return [
        reverse("delivery_list"),
        reverse("delivery_create"),
        reverse("production_report"),
        reverse("production_report_export"),
        reverse("delivery_detail", args=[delivery.pk]),
        reverse("delivery_settle", args=[delivery.pk]),
    ]


def delivery_in(region_name: str, cashier) -> Delivery:
    member = factories.MemberFactory(region=factories.region(region_name))
    return record(factories.FarmFactory(member=member, crop="cocoa"), cashier)


# -- who may see what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ALLOWED)
def test_managers_and_credit_officers_reach_every_page(request, role_client, page_urls):
    client = request.getfixturevalue(role_client)

    for url in page_urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", FORBIDDEN)
def test_other_roles_and_users_without_a_role_get_403(request, role_client, page_urls, delivery):
    client = request.getfixturevalue(role_client)

    for url in [*page_urls, reverse("delivery_reverse", args=[delivery.pk])]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("delivery_settle", args=[delivery.pk]), {"action": "confirm"}).status_code == 403
    assert not Settlement.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(client, page_urls):
    for url in page_urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("role_client", "status"), [("manager_client", 200), ("credit_officer_client", 403)])
def test_only_a_manager_may_reverse_a_delivery(request, role_client, status, delivery):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("delivery_reverse", args=[delivery.pk])).status_code == status


@pytest.mark.parametrize("role_client", ALLOWED)
def test_a_delivery_outside_the_users_regions_is_not_found(request, role_client, cashier):
    client = request.getfixturevalue(role_client)
    cusco = delivery_in("Cusco", cashier)

    for name in ["delivery_detail", "delivery_settle", "delivery_reverse"]:
        response = client.get(reverse(name, args=[cusco.pk]))
        assert response.status_code in {404, 403}, name
        if role_client == "manager_client":
            assert response.status_code == 404, name
    assert client.post(reverse("delivery_settle", args=[cusco.pk]), {"action": "confirm"}).status_code == 404
    assert cusco not in client.get(reverse("delivery_list")).context["page_obj"]


@pytest.mark.parametrize(("role_client", "status"), [("manager_client", 200), ("credit_officer_client", 404)])
def test_the_region_of_the_member_decides_the_scope(request, role_client, status, cashier):
    client = request.getfixturevalue(role_client)
    san_martin = delivery_in("San Martín", cashier)

    assert client.get(reverse("delivery_detail", args=[san_martin.pk])).status_code == status


# -- the list ------------------------------------------------------------------------------------------------


def listed(response) -> list[str]:
    return [delivery.reference for delivery in response.context["page_obj"]]


@pytest.fixture
def listed_deliveries(cashier, coffee_farm, cocoa_farm, older_loan):
    """EN-2026-00001 cocoa 1 Sep (settled), EN-2026-00002 coffee 15 Oct, EN-2026-00003 San Martín cocoa 1 Nov
    (reversed), EN-2026-00004 Cusco (out of scope)."""
    first = record(cocoa_farm, cashier, delivered_on=datetime.date(2026, 9, 1))
    services.delivery_settle(delivery=first, paid_on=datetime.date(2026, 9, 2), settled_by=cashier)
    record(coffee_farm, cashier, delivered_on=datetime.date(2026, 10, 15))
    third = delivery_in("San Martín", cashier)
    services.delivery_reverse(delivery=third, reversed_on=third.delivered_on, reason="Duplicada", reversed_by=cashier)
    delivery_in("Cusco", cashier)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["EN-2026-00002", "EN-2026-00003", "EN-2026-00001"]),
        ({"crop": "coffee"}, ["EN-2026-00002"]),
        ({"status": "settled"}, ["EN-2026-00001"]),
        ({"status": "pending"}, ["EN-2026-00002"]),
        ({"status": "reversed"}, ["EN-2026-00003"]),
        ({"delivered_from": "2026-09-01", "delivered_to": "2026-09-30"}, ["EN-2026-00001"]),
        ({"q": "BA-00001"}, ["EN-2026-00002", "EN-2026-00001"]),
        ({"q": "EN-2026-00003"}, ["EN-2026-00003"]),
    ],
)
def test_the_list_filters_the_deliveries_in_scope(manager_client, listed_deliveries, query, expected):
    # EN-2026-00003 is the San Martín one: recorded third, but delivered on DELIVERED_ON (15 Oct) too.
    response = manager_client.get(reverse("delivery_list"), query)

    assert sorted(listed(response)) == sorted(expected)


def test_the_list_filters_by_region(manager_client, listed_deliveries):
    response = manager_client.get(reverse("delivery_list"), {"region": factories.region("San Martín").pk})

    assert listed(response) == ["EN-2026-00003"]


def test_a_reversed_date_range_is_reported_and_ignored(manager_client, listed_deliveries):
    response = manager_client.get(
        reverse("delivery_list"), {"delivered_from": "2026-10-01", "delivered_to": "2026-09-01"}, **EN
    )

    assert "The end date must not be before the start date." in response.content.decode()
    assert sorted(listed(response)) == ["EN-2026-00002", "EN-2026-00003"]


def test_the_list_shows_amounts_and_settlement_status(manager_client, listed_deliveries):
    content = manager_client.get(reverse("delivery_list"), **EN).content.decode()

    assert "Settled on" in content
    assert "Not settled" in content
    assert "Reversed" in content
    assert "850.00" in content


def _deliveries_on_distinct_members(count: int, cashier) -> None:
    for _ in range(count):
        member = factories.MemberFactory(region=factories.region("Huánuco"))
        delivery = record(factories.FarmFactory(member=member, crop="cocoa"), cashier)
        services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(
    credit_officer_client, django_assert_num_queries, cashier, count
):
    _deliveries_on_distinct_members(count, cashier)

    # session, user, staff roles; scope (does a credit role cover all regions?) for the filter form and for
    # the selector; COUNT for the paginator; the page of deliveries with member, region, farm, settlement and
    # reversal; the choices of the region select.
    with django_assert_num_queries(8):
        response = credit_officer_client.get(reverse("delivery_list"))

    assert len(listed(response)) == count


# -- recording -----------------------------------------------------------------------------------------------


def test_recording_starts_by_finding_the_member(credit_officer_client, cocoa_farm, coffee_farm):
    retired = factories.FarmFactory(member=cocoa_farm.member, name="Vieja", status="retired")

    response = credit_officer_client.get(reverse("delivery_create"), {"member": "ba-00001"}, **EN)

    assert response.status_code == 200
    assert response.context["member"] == cocoa_farm.member
    farms = list(response.context["form"].fields["farm"].queryset)
    assert farms == [coffee_farm, cocoa_farm]  # by name; the retired farm is not offered
    assert retired not in farms
    content = response.content.decode()
    assert "1 quintal (qq) = 46 kg; 1 export bag = 69 kg." in content


def test_the_member_can_be_found_by_dni(credit_officer_client, cocoa_farm):
    response = credit_officer_client.get(reverse("delivery_create"), {"member": cocoa_farm.member.dni})

    assert response.context["member"] == cocoa_farm.member


@pytest.mark.parametrize("lookup", ["NO-SUCH", "CU-00001"])
def test_a_member_unknown_or_out_of_scope_is_not_found(credit_officer_client, lookup):
    factories.MemberFactory(code="CU-00001", region=factories.region("Cusco"))

    response = credit_officer_client.get(reverse("delivery_create"), {"member": lookup}, **EN)

    assert "No member with this code or DNI in your regions." in response.content.decode()
    assert "form" not in response.context


def delivery_data(farm, **changes) -> dict:
    data = {
        "farm": farm.pk,
        "delivered_on": "2026-10-15",
        "product_state": "dry_parchment",
        "quantity": "12.50",
        "unit": "qq",
        "price_per_kg": "14.13",
        "moisture_percent": "11.50",
        "yield_percent": "78.00",
        "cup_score": "84.00",
        "fermentation_percent": "",
        "notes": "",
    }
    data.update(changes)
    return data


def test_recording_a_delivery_stores_it_and_shows_its_page(credit_officer_client, coffee_farm):
    url = reverse("delivery_create") + "?member=BA-00001"

    response = credit_officer_client.post(url, delivery_data(coffee_farm), **EN)

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("delivery_detail", args=[delivery.pk])
    assert (delivery.quantity, delivery.unit, delivery.quantity_kg) == (Decimal("12.50"), "qq", Decimal("575.00"))
    assert delivery.gross_amount == Decimal("8124.75")  # 575 × 14.13
    assert delivery.received_by == credit_officer_client.user
    assert delivery.crop == "coffee"


def test_the_form_shows_the_service_errors_and_the_kilograms_typed(credit_officer_client, coffee_farm):
    url = reverse("delivery_create") + "?member=BA-00001"

    response = credit_officer_client.post(
        url, delivery_data(coffee_farm, product_state="dry_beans", fermentation_percent="80"), **EN
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "Dry cocoa beans (seco) is not a state of Coffee." in form.errors["product_state"]
    assert form.errors["fermentation_percent"] == ["Only measured on cocoa."]
    assert "That is 575.00 kg." in response.content.decode()
    assert not Delivery.objects.exists()


def test_a_farm_of_another_member_cannot_be_posted(credit_officer_client, coffee_farm):
    stranger_farm = factories.FarmFactory(crop="coffee")
    url = reverse("delivery_create") + "?member=BA-00001"

    response = credit_officer_client.post(url, delivery_data(stranger_farm))

    assert "farm" in response.context["form"].errors
    assert not Delivery.objects.exists()


# -- the delivery page ---------------------------------------------------------------------------------------


def test_the_page_shows_quality_amounts_and_the_settlement_with_links_to_the_loans(
    manager_client, cocoa_farm, cashier, older_loan
):
    delivery = record(cocoa_farm, cashier, moisture_percent=Decimal("7.20"), fermentation_percent=Decimal("82.00"))
    services.delivery_settle(
        delivery=delivery,
        paid_on=PAID_ON,
        settled_by=cashier,
        other_deductions=[("transport", Decimal("12.00"), "")],
    )

    response = manager_client.get(reverse("delivery_detail", args=[delivery.pk]), **EN)

    content = response.content.decode()
    for text in [
        "EN-2026-00001",
        "Dry cocoa beans (seco)",
        "7.20 %",
        "82.00 %",
        "S/ 8.50",
        "S/ 850.00",
        "Credit repayment",
        f'href="{loan_url(older_loan.pk)}"',
        older_loan.reference,
        "−255.00",  # 30 % of S/ 850.00
        "Transport",
        "−12.00",
        "−267.00",
        "583.00",
    ]:
        assert text in content, text
    assert response.context["can_settle"] is False


def test_the_page_of_an_unsettled_delivery_offers_to_settle_it(credit_officer_client, delivery):
    response = credit_officer_client.get(reverse("delivery_detail", args=[delivery.pk]), **EN)

    assert response.context["can_settle"] is True
    assert response.context["can_reverse"] is False  # a manager's decision
    assert reverse("delivery_settle", args=[delivery.pk]) in response.content.decode()


@pytest.mark.parametrize("loans", [1, 3])
def test_the_page_query_count_does_not_grow_with_the_deductions(
    manager_client, django_assert_num_queries, cocoa_farm, cashier, loans
):
    for number in range(loans):
        make_loan(
            cocoa_farm.member, percent="50.00", quantity=Decimal("1"), disbursed_on=datetime.date(2026, 1, 10 + number)
        )
    delivery = record(cocoa_farm, cashier, quantity="1000.00")
    services.delivery_settle(
        delivery=delivery, paid_on=PAID_ON, settled_by=cashier, other_deductions=[("transport", Decimal("9.00"), "")]
    )

    # session, user, staff roles; scope; the delivery with member, region, farm, received by, settlement,
    # settled by and reversal; its deductions with loan, product, ledger entry and its reversal; whether a
    # manager role covers the member's region (may they reverse?): scope, then the region.
    with django_assert_num_queries(8):
        response = manager_client.get(reverse("delivery_detail", args=[delivery.pk]))

    assert len(response.context["deductions"]) == loans + 1


# -- settling ------------------------------------------------------------------------------------------------


def preview_value(response) -> str:
    return re.search(r'name="preview" value="([^"]+)"', response.content.decode()).group(1)


def settle_data(response, **changes) -> dict:
    data = {
        "paid_on": PAID_ON.isoformat(),
        "apply_credit": "on",
        "association_fee": "",
        "transport": "",
        "other_amount": "",
        "other_note": "",
        "preview": preview_value(response),
        "action": "confirm",
    }
    data.update(changes)
    return data


def test_the_settle_page_previews_the_deductions_without_writing(credit_officer_client, delivery, older_loan):
    response = credit_officer_client.get(reverse("delivery_settle", args=[delivery.pk]), **EN)

    plan = response.context["plan"]
    assert [(line.loan_id, line.amount) for line in plan.credit_lines] == [(older_loan.pk, Decimal("1272.00"))]
    content = response.content.decode()
    assert older_loan.reference in content
    assert "S/ 7228.00" in content  # 8,500.00 − 1,272.00
    assert not Settlement.objects.exists()
    assert not LoanTransaction.objects.filter(kind=TransactionKind.HARVEST_DEDUCTION).exists()


def test_an_updated_preview_includes_the_other_deductions(credit_officer_client, delivery, older_loan):
    url = reverse("delivery_settle", args=[delivery.pk])
    first = credit_officer_client.get(url)

    response = credit_officer_client.post(
        url, settle_data(first, action="preview", transport="25.00", association_fee="10.00"), **EN
    )

    assert response.status_code == 200
    assert response.context["plan"].total_deductions == Decimal("1307.00")
    assert "S/ 7193.00" in response.content.decode()
    assert not Settlement.objects.exists()


def test_confirming_the_preview_settles_the_delivery(credit_officer_client, delivery, older_loan):
    url = reverse("delivery_settle", args=[delivery.pk])
    preview = credit_officer_client.post(
        url, settle_data(credit_officer_client.get(url), action="preview", transport="25.00")
    )

    response = credit_officer_client.post(url, settle_data(preview, transport="25.00"))

    assert response.status_code == 302
    assert response["Location"] == reverse("delivery_detail", args=[delivery.pk])
    settlement = Settlement.objects.get(delivery=delivery)
    assert (settlement.total_deductions, settlement.net_paid) == (Decimal("1297.00"), Decimal("7203.00"))
    assert settlement.settled_by == credit_officer_client.user
    assert LoanTransaction.objects.filter(loan=older_loan, kind=TransactionKind.HARVEST_DEDUCTION).count() == 1


def test_confirming_amounts_that_changed_since_the_preview_shows_the_new_preview(
    credit_officer_client, delivery, older_loan, cashier
):
    url = reverse("delivery_settle", args=[delivery.pk])
    preview = credit_officer_client.get(url)
    from credit import services as credit_services

    credit_services.loan_repay(loan=older_loan, amount=Decimal("100.00"), occurred_on=PAID_ON, recorded_by=cashier)

    response = credit_officer_client.post(url, settle_data(preview), **EN)

    assert response.status_code == 200
    assert "The amounts changed since the preview." in response.content.decode()
    assert response.context["plan"].credit_total == Decimal("1172.00")
    assert not Settlement.objects.exists()


def test_confirming_changed_inputs_without_a_new_preview_does_not_pay(credit_officer_client, delivery, older_loan):
    url = reverse("delivery_settle", args=[delivery.pk])
    preview = credit_officer_client.get(url)

    response = credit_officer_client.post(url, settle_data(preview, transport="50.00"))

    assert response.status_code == 200
    assert not Settlement.objects.exists()


def test_the_settle_page_shows_the_service_errors(credit_officer_client, cocoa_farm, cashier):
    delivery = record(cocoa_farm, cashier, quantity="10.00")  # S/ 85.00
    url = reverse("delivery_settle", args=[delivery.pk])

    response = credit_officer_client.post(
        url, settle_data(credit_officer_client.get(url), action="preview", transport="90.00"), **EN
    )

    assert "more than the gross amount" in response.content.decode()
    assert response.context["plan"] is None


def test_a_settled_delivery_sends_the_settle_page_back_to_the_delivery(credit_officer_client, delivery, cashier):
    services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)
    url = reverse("delivery_settle", args=[delivery.pk])

    assert credit_officer_client.get(url)["Location"] == reverse("delivery_detail", args=[delivery.pk])
    assert credit_officer_client.post(url, {"action": "confirm"}).status_code == 302
    assert Settlement.objects.count() == 1


# -- reversing -----------------------------------------------------------------------------------------------


def test_a_manager_reverses_a_delivery(manager_client, delivery, cashier, older_loan):
    services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)
    url = reverse("delivery_reverse", args=[delivery.pk])

    response = manager_client.post(url, {"reversed_on": "2026-10-25", "reason": "Peso mal registrado", "confirm": "on"})

    assert response.status_code == 302
    reversal = DeliveryReversal.objects.get()
    assert (reversal.reversed_by, reversal.reason) == (manager_client.user, "Peso mal registrado")
    entry = LoanTransaction.objects.get(loan=older_loan, kind=TransactionKind.HARVEST_DEDUCTION)
    assert entry.reversed_by is not None


def test_a_reversal_needs_the_confirmation(manager_client, delivery):
    response = manager_client.post(
        reverse("delivery_reverse", args=[delivery.pk]), {"reversed_on": "2026-10-25", "reason": "x"}, **EN
    )

    assert "Tick the box to confirm the reversal." in response.content.decode()
    assert not DeliveryReversal.objects.exists()
