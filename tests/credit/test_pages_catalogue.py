"""Staff pages of the input catalogue and the credit products: every page for every role, add and edit (model
validation under each input, bad input writes nothing), deactivation instead of deletion, and pinned query
counts of the lists.

Roles (tests/conftest.py): managers and credit officers use these pages; technicians, ICS coordinators and users
without a role get 403; anonymous visitors go to the login page. The catalogue and products are cooperative-wide.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import CreditProduct, InputItem, InterestMethod, RepaymentMode
from tests.credit.conftest import APPROVED_ON
from tests.factories import CreditProductFactory, InputItemFactory

pytestmark = pytest.mark.django_db

CREDIT_CLIENTS = ["manager_client", "credit_officer_client"]
REFUSED_CLIENTS = ["technician_client", "ics_client", "outsider_client"]


@pytest.fixture
def item():
    return InputItemFactory(name="Guano de isla", unit="saco 50 kg", unit_price=Decimal("120.00"))


@pytest.fixture
def credit_product():
    return CreditProductFactory(name="Campaña cacao 2026")


def page_urls(item: InputItem, product: CreditProduct) -> list[str]:
    return [
        reverse("input_item_list"),
        reverse("input_item_create"),
        reverse("input_item_edit", args=[item.pk]),
        reverse("credit_product_list"),
        reverse("credit_product_create"),
        reverse("credit_product_edit", args=[product.pk]),
    ]


def item_data(**overrides) -> dict:
    return {"name": "Secador solar 6 m²", "kind": "solar_dryer", "unit": "unidad", "unit_price": "850.00"} | overrides


def product_data(**overrides) -> dict:
    data = {
        "name": "Cosecha café 2026",
        "interest_method": "declining_balance",
        "annual_rate": "10.50",
        "repayment_mode": "harvest_bullet",
        "number_of_repayments": "1",
        "grace_periods": "8",
        "max_deduction_percent": "40",
        "arrears_tolerance": "5.00",
        "allocation_order": "interest,principal,penalty,fee",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Who may open what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", CREDIT_CLIENTS)
def test_managers_and_credit_officers_open_every_catalogue_page(request, role_client, item, credit_product):
    client = request.getfixturevalue(role_client)

    for url in page_urls(item, credit_product):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", REFUSED_CLIENTS)
def test_other_roles_are_refused_every_catalogue_page_and_change_nothing(request, role_client, item, credit_product):
    client = request.getfixturevalue(role_client)

    for url in page_urls(item, credit_product):
        assert client.get(url).status_code == 403, url
        assert client.post(url, item_data(name="Cambiado") | product_data(name="Cambiado")).status_code == 403, url

    item.refresh_from_db()
    credit_product.refresh_from_db()
    assert (item.name, credit_product.name) == ("Guano de isla", "Campaña cacao 2026")
    assert InputItem.objects.count() == CreditProduct.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, item, credit_product):
    for url in page_urls(item, credit_product):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    client.post(reverse("input_item_create"), item_data())
    assert not InputItem.objects.filter(name="Secador solar 6 m²").exists()


def test_an_unknown_item_or_product_is_not_found(credit_officer_client):
    assert credit_officer_client.get(reverse("input_item_edit", args=[999])).status_code == 404
    assert credit_officer_client.get(reverse("credit_product_edit", args=[999])).status_code == 404


def test_the_lists_show_every_item_and_product_of_the_cooperative(credit_officer_client, item, credit_product):
    InputItemFactory(name="Cajón fermentador", kind="fermentation_box", is_active=False)

    items = credit_officer_client.get(reverse("input_item_list"))
    products = credit_officer_client.get(reverse("credit_product_list"))

    assert [listed.name for listed in items.context["items"]] == ["Guano de isla", "Cajón fermentador"]
    assert "120.00" in items.content.decode()
    assert "Campaña cacao 2026" in products.content.decode()


# --- Input catalogue ---------------------------------------------------------------------------------------


def test_a_credit_officer_adds_an_item(credit_officer_client):
    response = credit_officer_client.post(reverse("input_item_create"), item_data(is_active="on"), follow=True)

    item = InputItem.objects.get(name="Secador solar 6 m²")
    assert (item.kind, item.unit, item.unit_price, item.is_active) == ("solar_dryer", "unidad", Decimal("850.00"), True)
    assert response.redirect_chain == [(reverse("input_item_list"), 302)]
    assert "Secador solar 6 m² (unidad) added to the catalogue." in response.content.decode()
    assert item.history.get().history_user == credit_officer_client.user


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"unit_price": "0"}, "unit_price", "The price must be positive."),
        ({"unit_price": "-3"}, "unit_price", "The price must be positive."),
        ({"unit_price": "12.345"}, "unit_price", "Ensure that there are no more than 2 decimal places."),
        ({"name": "Guano de isla"}, "name", "Input item with this Name already exists."),
        ({"kind": "tractor"}, "kind", "Select a valid choice. tractor is not one of the available choices."),
        ({"unit": ""}, "unit", "This field is required."),
    ],
)
def test_a_bad_item_is_refused_under_its_input_and_nothing_is_saved(
    credit_officer_client, item, overrides, field, message
):
    response = credit_officer_client.post(reverse("input_item_create"), item_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert InputItem.objects.count() == 1


def test_an_item_is_deactivated_not_deleted_and_keeps_its_loans(credit_officer_client, submitted_loan, fertilizer):
    response = credit_officer_client.post(
        reverse("input_item_edit", args=[fertilizer.pk]),
        item_data(name=fertilizer.name, kind="fertilizer", unit=fertilizer.unit, unit_price="130.00"),
    )

    fertilizer.refresh_from_db()
    assert response.status_code == 302
    assert (fertilizer.is_active, fertilizer.unit_price) == (False, Decimal("130.00"))
    # The submitted loan keeps the price it was applied for at.
    assert submitted_loan.lines.get().unit_price == Decimal("120.00")
    list_page = credit_officer_client.get(reverse("input_item_list")).content.decode()
    assert "Guano de isla" in list_page
    assert "Delete" not in list_page


def test_a_bad_edit_leaves_the_item_as_it_was(credit_officer_client, item):
    response = credit_officer_client.post(
        reverse("input_item_edit", args=[item.pk]), item_data(name="Guano", unit_price="0", is_active="on")
    )

    item.refresh_from_db()
    assert response.status_code == 200
    assert "unit_price" in response.context["form"].errors
    assert (item.name, item.unit_price) == ("Guano de isla", Decimal("120.00"))


# --- Credit products -------------------------------------------------------------------------------------------


def test_a_credit_officer_creates_a_product(credit_officer_client):
    response = credit_officer_client.post(reverse("credit_product_create"), product_data())

    product = CreditProduct.objects.get(name="Cosecha café 2026")
    assert response.status_code == 302
    assert response.url == reverse("credit_product_list")
    assert (
        product.interest_method,
        product.annual_rate,
        product.repayment_mode,
        product.number_of_repayments,
        product.grace_periods,
        product.max_deduction_percent,
        product.arrears_tolerance,
        product.allocation_order,
        product.is_active,
    ) == (
        InterestMethod.DECLINING_BALANCE,
        Decimal("10.50"),
        RepaymentMode.HARVEST_BULLET,
        1,
        8,
        Decimal("40.00"),
        Decimal("5.00"),
        "interest,principal,penalty,fee",
        True,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number_of_repayments": "3"}, "number_of_repayments", "A harvest bullet loan is repaid in one payment."),
        (
            {"repayment_mode": "periodic", "number_of_repayments": "0"},
            "number_of_repayments",
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"annual_rate": "120"}, "annual_rate", "Ensure this value is less than or equal to 100."),
        ({"annual_rate": "-1"}, "annual_rate", "Ensure this value is greater than or equal to 0."),
        (
            {"max_deduction_percent": "0"},
            "max_deduction_percent",
            "Ensure this value is greater than or equal to 0.01.",
        ),
        ({"arrears_tolerance": "-5"}, "arrears_tolerance", "Ensure this value is greater than or equal to 0."),
        ({"interest_method": ""}, "interest_method", "This field is required."),
        (
            {"allocation_order": "principal,interest"},
            "allocation_order",
            "Select a valid choice. principal,interest is not one of the available choices.",
        ),
    ],
)
def test_a_bad_product_is_refused_under_its_input_and_nothing_is_saved(
    credit_officer_client, overrides, field, message
):
    response = credit_officer_client.post(reverse("credit_product_create"), product_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not CreditProduct.objects.exists()


def test_a_product_edit_does_not_move_an_approved_loan(credit_officer_client, approved_loan, product):
    response = credit_officer_client.post(
        reverse("credit_product_edit", args=[product.pk]),
        product_data(
            name=product.name,
            interest_method="flat",
            annual_rate="18.00",
            repayment_mode="periodic",
            number_of_repayments="12",
            is_active=None,
        ),
    )

    product.refresh_from_db()
    approved_loan.refresh_from_db()
    assert response.status_code == 302
    assert (product.annual_rate, product.number_of_repayments, product.is_active) == (Decimal("18.00"), 12, False)
    assert (
        approved_loan.annual_rate,
        approved_loan.number_of_repayments,
        approved_loan.allocation_order,
        approved_loan.approved_on,
    ) == (Decimal("12.00"), 6, "penalty,fee,interest,principal", APPROVED_ON)


def test_a_deactivated_product_is_offered_to_no_new_loan(credit_officer_client, product):
    credit_officer_client.post(
        reverse("credit_product_edit", args=[product.pk]),
        product_data(name=product.name, repayment_mode="periodic", number_of_repayments="6", is_active=None),
    )

    form = credit_officer_client.get(reverse("loan_create")).context["form"]
    assert product not in form.fields["product"].queryset
    assert CreditProduct.objects.filter(pk=product.pk).exists()


def test_a_bad_product_edit_leaves_the_product_as_it_was(credit_officer_client, product):
    response = credit_officer_client.post(
        reverse("credit_product_edit", args=[product.pk]),
        product_data(name=product.name, repayment_mode="harvest_bullet", number_of_repayments="6"),
    )

    product.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["number_of_repayments"] == [
        "A harvest bullet loan is repaid in one payment."
    ]
    assert (product.repayment_mode, product.annual_rate) == (RepaymentMode.PERIODIC, Decimal("12.00"))


# --- Query counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_the_item_list_query_count_does_not_grow_with_its_rows(credit_officer_client, django_assert_num_queries, rows):
    InputItemFactory.create_batch(rows)

    # session, user, staff roles; the items.
    with django_assert_num_queries(4):
        response = credit_officer_client.get(reverse("input_item_list"))

    assert len(response.context["items"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_product_list_query_count_does_not_grow_with_its_rows(
    credit_officer_client, django_assert_num_queries, rows
):
    CreditProductFactory.create_batch(rows)

    # session, user, staff roles; the products.
    with django_assert_num_queries(4):
        response = credit_officer_client.get(reverse("credit_product_list"))

    assert len(response.context["products"]) == rows
