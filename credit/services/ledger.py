"""What every credit write shares: the loan row lock, the loan's history, appending a transaction to the
ledger with the loan's stored balance and Loan.oldest_unpaid_due_on kept in step (credit.read_models), closing
a settled loan, and the checks on amounts, dates and reasons that the services of this package apply before
they write.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from credit import schedule
from credit.models import Loan, LoanStatus, LoanTransaction
from credit.read_models import refresh_loan

# Length of django-simple-history's history_change_reason column.
HISTORY_REASON_LENGTH = 100


def lock_loan(loan: Loan) -> Loan:
    """The loan re-read under a row lock (held until the surrounding transaction ends)."""
    return Loan.objects.select_for_update().get(pk=loan.pk)


def save_loan(loan: Loan, user: AbstractBaseUser, reason: str = "") -> None:
    """Validate and save, naming the user (and reason) in the loan's history."""
    loan.full_clean()
    loan._history_user = user
    if reason:
        loan._change_reason = reason[:HISTORY_REASON_LENGTH]
    loan.save()


def record_transaction(transaction_row: LoanTransaction) -> LoanTransaction:
    """Validate and append the row to the ledger, then refresh the loan's stored balance and oldest unpaid
    due date (refresh_stored_state)."""
    transaction_row.full_clean()
    transaction_row.save()
    refresh_stored_state(transaction_row.loan)
    return transaction_row


def refresh_stored_state(loan: Loan) -> None:
    """Recompute the loan's stored balance (Loan.outstanding_*) and Loan.oldest_unpaid_due_on after a change
    to its schedule, ledger or charges, on the row and on `loan`, so a later save of `loan` keeps them
    (credit.read_models.refresh_loan). Three or four queries."""
    refresh_loan(loan)


def portion_fields(portions: schedule.Portions) -> dict[str, Decimal]:
    """A LoanTransaction's portion fields from schedule.Portions."""
    return {
        "principal_portion": portions.principal,
        "interest_portion": portions.interest,
        "fee_portion": portions.fee,
        "penalty_portion": portions.penalty,
    }


def close_if_settled(loan: Loan, outstanding_after: Decimal, on: datetime.date, user: AbstractBaseUser) -> None:
    """An active loan with nothing left outstanding is closed on `on`."""
    if loan.status == LoanStatus.ACTIVE and outstanding_after <= 0:
        loan.status = LoanStatus.CLOSED
        loan.closed_on = on
        save_loan(loan, user)


def check_reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({field: _("Give the reason.")})
    return reason


def check_not_future(value: datetime.date, field: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


def check_money(amount: Decimal, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    if amount != schedule.to_cents(amount):
        raise ValidationError({field: _("The amount must be in whole céntimos (two decimal places).")})
    return amount


def check_ledger_date(loan: Loan, occurred_on: datetime.date) -> None:
    check_not_future(occurred_on, "occurred_on")
    if occurred_on < loan.disbursed_on:
        raise ValidationError({"occurred_on": _("The date cannot be before the loan was disbursed.")})
