"""Concurrent settlements on PostgreSQL: the delivery's row lock lets one win (skipped on SQLite)."""

import datetime
from decimal import Decimal

import pytest

from credit import selectors as credit_selectors
from credit.models import LoanTransaction, TransactionKind
from deliveries import services
from deliveries.models import Settlement, SettlementDeduction
from tests import factories
from tests.conftest import run_together
from tests.deliveries.conftest import LOAN_TOTAL, PAID_ON, make_loan, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def farm():
    member = factories.MemberFactory(code="BA-00001", region=factories.region("Huánuco"))
    return factories.FarmFactory(member=member, crop="cocoa")


def test_two_simultaneous_settlements_of_a_delivery_pay_it_once(on_postgres, farm):
    cashiers = [factories.UserFactory(username="caja1"), factories.UserFactory(username="caja2")]
    loan = make_loan(farm.member, percent="30.00", disbursed_on=datetime.date(2026, 1, 15))
    delivery = record(farm, cashiers[0], quantity="100.00")  # S/ 850.00; 30 % = S/ 255.00

    def settle(cashier):
        return lambda: services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)

    results, errors = run_together(*(settle(cashier) for cashier in cashiers))

    assert len(results) == 1
    assert len(errors) == 1
    assert "already been settled" in errors[0].messages[0]
    assert Settlement.objects.count() == 1
    assert SettlementDeduction.objects.count() == 1
    assert LoanTransaction.objects.filter(loan=loan, kind=TransactionKind.HARVEST_DEDUCTION).count() == 1
    assert credit_selectors.loan_balance(loan).total_outstanding == LOAN_TOTAL - Decimal("255.00")


def test_simultaneous_settlements_of_two_deliveries_share_the_cap_without_overpaying_the_loans(on_postgres, farm):
    """Two deliveries of one member, settled at once: both lock the loans in the same order, so neither
    waits for the other forever, and the second sees what the first repaid."""
    cashier = factories.UserFactory(username="caja")
    loan = make_loan(farm.member, percent="50.00", disbursed_on=datetime.date(2026, 1, 15))
    deliveries = [record(farm, cashier, quantity="200.00") for _ in range(2)]  # S/ 1,700.00 each; 50 % = 850

    def settle(delivery):
        return lambda: services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)

    results, errors = run_together(*(settle(delivery) for delivery in deliveries))

    assert errors == []
    taken = sorted(settlement.total_deductions for settlement in results)
    assert taken == [LOAN_TOTAL - Decimal("850.00"), Decimal("850.00")]
    assert credit_selectors.loan_balance(loan).total_outstanding == Decimal("0.00")
