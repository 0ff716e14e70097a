"""The credit admin shows loans with their balance and never lets anyone edit or delete the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from credit import services
from credit.models import Loan, LoanStatus, LoanTransaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def repaid_loan(active_loan, maker):
    services.loan_repay(
        loan=active_loan, amount=Decimal("100.00"), occurred_on=datetime.date(2026, 2, 10), recorded_by=maker
    )
    return active_loan


def test_the_loan_list_shows_the_outstanding_principal(admin_client, repaid_loan):
    response = admin_client.get(reverse("admin:credit_loan_changelist"))

    assert response.status_code == 200
    assert repaid_loan.reference in response.text
    assert "1112.00" in response.text or "1112,00" in response.text


def test_the_loan_page_shows_the_balance_and_ledger_read_only(admin_client, repaid_loan):
    response = admin_client.get(reverse("admin:credit_loan_change", args=[repaid_loan.pk]))

    assert response.status_code == 200
    content = response.text
    assert "1172,00" in content or "1172.00" in content  # total outstanding: 1,272 - 100 paid
    # No form fields for the status, principal or ledger rows: only the notes can be typed in.
    assert 'name="status"' not in content
    assert 'name="principal"' not in content
    assert 'name="notes"' in content
    assert 'name="transactions-0-amount"' not in content
    assert "transactions-0-DELETE" not in content


def test_editing_a_loan_in_the_admin_changes_only_its_notes(admin_client, repaid_loan):
    response = admin_client.post(
        reverse("admin:credit_loan_change", args=[repaid_loan.pk]),
        {
            "notes": "Visitar en cosecha",
            "status": LoanStatus.CLOSED,
            "principal": "1.00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "instalments-TOTAL_FORMS": "6",
            "instalments-INITIAL_FORMS": "6",
            "charges-TOTAL_FORMS": "0",
            "charges-INITIAL_FORMS": "0",
            "transactions-TOTAL_FORMS": "2",
            "transactions-INITIAL_FORMS": "2",
        },
    )

    assert response.status_code == 302
    repaid_loan.refresh_from_db()
    assert repaid_loan.notes == "Visitar en cosecha"
    assert repaid_loan.status == LoanStatus.ACTIVE
    assert repaid_loan.principal == Decimal("1200.00")
    assert LoanTransaction.objects.filter(loan=repaid_loan).count() == 2


@pytest.mark.parametrize("url_name", ["admin:credit_loantransaction_change", "admin:credit_loantransaction_delete"])
def test_ledger_rows_cannot_be_changed_or_deleted_in_the_admin(admin_client, repaid_loan, url_name):
    entry = LoanTransaction.objects.filter(loan=repaid_loan).latest("id")

    if url_name.endswith("_delete"):
        response = admin_client.post(reverse(url_name, args=[entry.pk]), {"post": "yes"})
        assert response.status_code == 403
    else:
        response = admin_client.post(reverse(url_name, args=[entry.pk]), {"amount": "1.00"})
        assert response.status_code == 403

    entry.refresh_from_db()
    assert entry.amount == Decimal("100.00")


def test_loans_and_ledger_rows_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:credit_loan_add")).status_code == 403
    assert admin_client.get(reverse("admin:credit_loantransaction_add")).status_code == 403
    assert admin_client.get(reverse("admin:credit_instalment_add")).status_code == 403
    assert Loan.objects.count() == 0


def test_the_catalogue_and_products_are_listed(admin_client, product, fertilizer):
    assert fertilizer.name in admin_client.get(reverse("admin:credit_inputitem_changelist")).text
    assert product.name in admin_client.get(reverse("admin:credit_creditproduct_changelist")).text


def test_the_loan_history_names_who_rejected_it_and_why(admin_client, submitted_loan, checker):
    services.loan_reject(loan=submitted_loan, rejected_by=checker, reason="Sin aval de la junta")

    response = admin_client.get(reverse("admin:credit_loan_history", args=[submitted_loan.pk]))

    assert response.status_code == 200
    assert "Sin aval de la junta" in response.text
    assert "checker" in response.text


def test_the_loan_page_lists_its_charges_and_charges_cannot_be_added_or_edited(admin_client, repaid_loan, maker):
    fee = services.loan_charge_add(
        loan=repaid_loan,
        kind="fee",
        amount=Decimal("7.50"),
        due_on=datetime.date(2026, 3, 15),
        reason="Constancia de deuda",
        recorded_by=maker,
        occurred_on=datetime.date(2026, 2, 20),
    )

    content = admin_client.get(reverse("admin:credit_loan_change", args=[repaid_loan.pk])).text

    assert "Constancia de deuda" in content
    assert 'name="charges-0-amount"' not in content
    assert admin_client.get(reverse("admin:credit_loancharge_add")).status_code == 403
    response = admin_client.post(reverse("admin:credit_loancharge_change", args=[fee.pk]), {"amount": "1.00"})
    assert response.status_code == 403
    fee.refresh_from_db()
    assert fee.amount == Decimal("7.50")
