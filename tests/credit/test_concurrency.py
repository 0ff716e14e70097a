"""Concurrent requests on PostgreSQL: the row lock on the loan serialises them (skipped on SQLite)."""

from decimal import Decimal

import pytest

from credit import schedule, selectors, services
from credit.models import Loan, LoanStatus, LoanTransaction, TransactionKind
from tests import factories
from tests.conftest import run_together
from tests.credit.conftest import SUBMITTED_ON

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_simultaneous_repayments_never_take_the_balance_below_zero(on_postgres, active_loan, maker):
    outstanding = selectors.loan_balance(active_loan).total_outstanding
    amount = schedule.to_cents(outstanding * Decimal("0.6"))

    def pay():
        return services.loan_repay(
            loan=active_loan, amount=amount, occurred_on=active_loan.disbursed_on, recorded_by=maker
        )

    results, errors = run_together(pay, pay)

    assert len(results) == 1
    assert len(errors) == 1
    assert "outstanding balance" in errors[0].message_dict["amount"][0]
    assert LoanTransaction.objects.filter(loan=active_loan, kind=TransactionKind.REPAYMENT).count() == 1
    balance = selectors.loan_balance(active_loan)
    assert balance.total_outstanding == outstanding - amount
    assert balance.total_outstanding >= 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_twenty_simultaneous_repayments_are_each_recorded_once_and_never_overpay(on_postgres, active_loan, maker):
    owed = selectors.loan_balance(active_loan).total_outstanding
    assert owed == Decimal("1272.00")
    # 40.00, 45.00, ..., 135.00: S/ 1,750.00 in all, more than is owed, so some must be refused.
    amounts = [Decimal(40 + 5 * index) for index in range(20)]

    def pay(amount):
        return lambda: services.loan_repay(
            loan=active_loan, amount=amount, occurred_on=active_loan.disbursed_on, recorded_by=maker
        )

    results, errors = run_together(*(pay(amount) for amount in amounts))

    assert len(results) + len(errors) == 20
    assert errors, "the amounts add up to more than is owed"
    assert all("is more than the outstanding balance" in error.message_dict["amount"][0] for error in errors)
    accepted = sorted(row.amount for row in results)
    recorded = LoanTransaction.objects.filter(loan=active_loan, kind=TransactionKind.REPAYMENT)
    # Each accepted repayment is in the ledger exactly once, and nothing else is.
    assert sorted(recorded.values_list("pk", flat=True)) == sorted(row.pk for row in results)
    assert sorted(recorded.values_list("amount", flat=True)) == accepted
    for row in recorded:
        assert row.principal_portion + row.interest_portion + row.fee_portion + row.penalty_portion == row.amount
    balance = selectors.loan_balance(active_loan)
    assert balance.total_outstanding == owed - sum(accepted)
    assert balance.total_outstanding >= 0
    assert balance.principal_outstanding >= 0 and balance.interest_outstanding >= 0
    # A refused amount was more than what was outstanding when its turn came, which is at least what is
    # outstanding at the end.
    refused = sorted(set(amounts) - set(accepted))
    assert len(refused) == len(errors)
    assert all(amount > balance.total_outstanding for amount in refused)
    active_loan.refresh_from_db()
    assert active_loan.status == (LoanStatus.CLOSED if balance.total_outstanding == 0 else LoanStatus.ACTIVE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_simultaneous_applications_get_distinct_references(on_postgres, product, fertilizer, maker):
    members = [factories.MemberFactory(), factories.MemberFactory()]

    def apply(member):
        return lambda: services.loan_create(
            member=member,
            product=product,
            lines=[(fertilizer, Decimal("1"))],
            submitted_by=maker,
            submitted_on=SUBMITTED_ON,
        )

    results, errors = run_together(*(apply(member) for member in members))

    assert errors == []
    assert sorted(Loan.objects.values_list("reference", flat=True)) == ["CR-2026-00001", "CR-2026-00002"]
