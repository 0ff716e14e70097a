"""What reduces a loan's balance, and its undoing: repayments and harvest deductions (split over the schedule
in the loan's allocation order), waivers of interest, fees or penalties, the write-off, and the reversal of any
of them. Each is one LoanTransaction, written under the loan's row lock.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit import schedule, selectors
from credit.models import Loan, LoanStatus, LoanTransaction, TransactionKind
from credit.services.ledger import (
    check_ledger_date,
    check_money,
    check_not_future,
    check_reason,
    close_if_settled,
    lock_loan,
    portion_fields,
    record_transaction,
    save_loan,
)

REPAYMENT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.HARVEST_DEDUCTION)
REVERSIBLE_KINDS = (
    TransactionKind.REPAYMENT,
    TransactionKind.HARVEST_DEDUCTION,
    TransactionKind.WAIVER,
    TransactionKind.WRITE_OFF,
)
# What a waiver may forgive: charges and interest. Forgiving principal is a write-off.
WAIVABLE_COMPONENTS = (schedule.INTEREST, schedule.FEE, schedule.PENALTY)
WAIVABLE_NAMES = {
    schedule.INTEREST: gettext_lazy("interest"),
    schedule.FEE: gettext_lazy("fees"),
    schedule.PENALTY: gettext_lazy("penalties"),
}


@transaction.atomic
def loan_repay(
    *,
    loan: Loan,
    amount: Decimal,
    occurred_on: datetime.date,
    recorded_by: AbstractBaseUser,
    kind: str = TransactionKind.REPAYMENT,
    note: str = "",
    delivery_payment: Decimal | None = None,
) -> LoanTransaction:
    """Record a repayment (cash) or a harvest deduction (withheld from a delivery payment).

    The amount goes to the oldest unpaid instalment first and, within it, to penalties, fees, interest and
    principal in the loan's allocation order (copied from the product at approval); the split is stored on
    the transaction (principal, interest, fee and penalty portions). Charges count with the instalment they
    are owed with (credit.schedule). An amount above everything outstanding (principal, interest, fees and
    penalties) is refused, never kept as a credit. For a harvest deduction, `delivery_payment` (when given)
    caps the amount at the loan's maximum deduction percentage of it. A loan with nothing left outstanding
    is closed.

    Locks the loan row, then reads the balance, so concurrent repayments are applied one after the other
    and can never take the balance below zero. Returns the transaction (its `loan` is the updated loan).
    """
    if kind not in REPAYMENT_KINDS:
        raise ValidationError({"kind": _("A repayment is either a repayment or a harvest deduction.")})
    check_money(amount)
    loan = lock_loan(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Repayments can only be recorded on an active loan."))
    check_ledger_date(loan, occurred_on)
    if kind == TransactionKind.HARVEST_DEDUCTION and delivery_payment is not None:
        cap = schedule.to_cents(delivery_payment * loan.max_deduction_percent / 100)
        if amount > cap:
            raise ValidationError(
                {
                    "amount": _(
                        "A harvest deduction can take at most %(percent)s%% of the delivery payment: S/ %(cap)s."
                    )
                    % {"percent": loan.max_deduction_percent, "cap": cap}
                }
            )

    balance = selectors.loan_balance(loan)
    if amount > balance.total_outstanding:
        raise ValidationError(
            {
                "amount": _("S/ %(amount)s is more than the outstanding balance of S/ %(outstanding)s.")
                % {"amount": amount, "outstanding": balance.total_outstanding}
            }
        )
    allocation = selectors.allocation_of_balance(loan, balance)
    portions = schedule.split_payment(allocation, amount, schedule.parse_allocation_order(loan.allocation_order))
    row = record_transaction(
        LoanTransaction(
            loan=loan,
            kind=kind,
            occurred_on=occurred_on,
            amount=amount,
            **portion_fields(portions),
            note=note,
            recorded_by=recorded_by,
        )
    )
    close_if_settled(loan, balance.total_outstanding - amount, occurred_on, recorded_by)
    return row


@transaction.atomic
def loan_reverse(
    *, transaction: LoanTransaction, recorded_by: AbstractBaseUser, occurred_on: datetime.date, reason: str
) -> LoanTransaction:
    """Cancel a repayment, harvest deduction, waiver or write-off with a reversal entry (same amount and all
    four portions), so every component of the balance, and with it the days past due, is back where it was
    without the original. A transaction is reversed at most once.

    The original stays in the ledger and counts zero from then on. A loan closed by the payment becomes
    active again; reversing a write-off makes the loan active again. Locks the loan row. Returns the
    reversal (its `loan` is the updated loan). Fees and penalties are cancelled with loan_charge_reverse.
    """
    loan = Loan.objects.select_for_update().get(pk=transaction.loan_id)
    original = LoanTransaction.objects.get(pk=transaction.pk)
    if original.kind not in REVERSIBLE_KINDS:
        raise ValidationError(
            _("A %(kind)s cannot be reversed; only repayments, harvest deductions, waivers and write-offs can.")
            % {"kind": original.get_kind_display()}
        )
    if LoanTransaction.objects.filter(reverses=original).exists():
        raise ValidationError(_("This transaction has already been reversed."))
    is_write_off = original.kind == TransactionKind.WRITE_OFF
    allowed_statuses = (LoanStatus.WRITTEN_OFF,) if is_write_off else (LoanStatus.ACTIVE, LoanStatus.CLOSED)
    if loan.status not in allowed_statuses:
        raise ValidationError(
            _("A transaction of a loan that is %(status)s cannot be reversed.") % {"status": loan.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    check_not_future(occurred_on, "occurred_on")
    if occurred_on < original.occurred_on:
        raise ValidationError({"occurred_on": _("A reversal cannot be dated before the transaction it reverses.")})

    try:
        reversal = record_transaction(
            LoanTransaction(
                loan=loan,
                kind=TransactionKind.REVERSAL,
                occurred_on=occurred_on,
                amount=original.amount,
                principal_portion=original.principal_portion,
                interest_portion=original.interest_portion,
                fee_portion=original.fee_portion,
                penalty_portion=original.penalty_portion,
                reverses=original,
                note=reason.strip(),
                recorded_by=recorded_by,
            )
        )
    except IntegrityError:
        # The one-to-one on `reverses` caught a reversal committed by a concurrent request.
        raise ValidationError(_("This transaction has already been reversed.")) from None
    if loan.status in (LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF):
        loan.status = LoanStatus.ACTIVE
        loan.closed_on = None
        save_loan(loan, recorded_by, reason.strip())
    return reversal


@transaction.atomic
def loan_write_off(
    *, loan: Loan, recorded_by: AbstractBaseUser, occurred_on: datetime.date, reason: str
) -> LoanTransaction:
    """Write off everything still owed (principal, interest, fees and penalties): one write-off transaction
    with those portions, status written off.

    Locks the loan row. Returns the transaction (its `loan` is the updated loan).
    """
    loan = lock_loan(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Only an active loan can be written off."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the write-off.")})
    check_ledger_date(loan, occurred_on)
    balance = selectors.loan_balance(loan)
    if balance.total_outstanding <= 0:
        raise ValidationError(_("Nothing is outstanding on this loan."))
    row = record_transaction(
        LoanTransaction(
            loan=loan,
            kind=TransactionKind.WRITE_OFF,
            occurred_on=occurred_on,
            amount=balance.total_outstanding,
            principal_portion=balance.principal_outstanding,
            interest_portion=balance.interest_outstanding,
            fee_portion=balance.fee_outstanding,
            penalty_portion=balance.penalty_outstanding,
            note=reason.strip(),
            recorded_by=recorded_by,
        )
    )
    loan.status = LoanStatus.WRITTEN_OFF
    save_loan(loan, recorded_by, reason.strip())
    return row


@transaction.atomic
def loan_waive(
    *,
    loan: Loan,
    component: str,
    amount: Decimal,
    occurred_on: datetime.date,
    recorded_by: AbstractBaseUser,
    reason: str,
) -> LoanTransaction:
    """Forgive part or all of the outstanding interest, fees or penalties (`component` "interest", "fee" or
    "penalty"): one waiver transaction whose only portion is that component. Principal cannot be waived
    (write the loan off instead).

    The waived amount counts as paid on the oldest instalments first, like any payment of that component.
    Reversible with loan_reverse. A loan with nothing left outstanding is closed. Locks the loan row.
    Returns the transaction (its `loan` is the updated loan).
    """
    if component not in WAIVABLE_COMPONENTS:
        raise ValidationError({"component": _("Only interest, fees and penalties can be waived.")})
    check_money(amount)
    loan = lock_loan(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Only an active loan can have amounts waived."))
    reason = check_reason(reason)
    check_ledger_date(loan, occurred_on)
    balance = selectors.loan_balance(loan)
    outstanding = balance.outstanding(component)
    if amount > outstanding:
        raise ValidationError(
            {
                "amount": _("S/ %(amount)s is more than the %(component)s outstanding, S/ %(outstanding)s.")
                % {
                    "amount": amount,
                    "component": WAIVABLE_NAMES[component],
                    "outstanding": outstanding,
                }
            }
        )
    row = record_transaction(
        LoanTransaction(
            loan=loan,
            kind=TransactionKind.WAIVER,
            occurred_on=occurred_on,
            amount=amount,
            **portion_fields(schedule.Portions(**{component: amount})),
            note=reason,
            recorded_by=recorded_by,
        )
    )
    close_if_settled(loan, balance.total_outstanding - amount, occurred_on, recorded_by)
    return row
