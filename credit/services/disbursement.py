"""Disbursement: the inputs handed over become a disbursement in the ledger and a repayment schedule."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from credit import schedule
from credit.models import Instalment, Loan, LoanStatus, LoanTransaction, TransactionKind
from credit.services.ledger import check_not_future, lock_loan, record_transaction, refresh_stored_state, save_loan


@transaction.atomic
def loan_disburse(*, loan: Loan, disbursed_by: AbstractBaseUser, disbursed_on: datetime.date) -> Loan:
    """Hand over the inputs: a disbursement transaction for the principal, the schedule, status active.

    Locks the loan row. Writes one transaction, the instalments and the loan.
    """
    loan = lock_loan(loan)
    if loan.status != LoanStatus.APPROVED:
        raise ValidationError(_("Only an approved loan can be disbursed."))
    check_not_future(disbursed_on, "disbursed_on")
    if disbursed_on < loan.approved_on:
        raise ValidationError({"disbursed_on": _("A loan cannot be disbursed before it was approved.")})

    record_transaction(
        LoanTransaction(
            loan=loan,
            kind=TransactionKind.DISBURSEMENT,
            occurred_on=disbursed_on,
            amount=loan.principal,
            principal_portion=loan.principal,
            interest_portion=Decimal("0.00"),
            recorded_by=disbursed_by,
        )
    )
    rows = schedule.generate_schedule(
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        interest_method=loan.interest_method,
        repayment_mode=loan.repayment_mode,
        number_of_repayments=loan.number_of_repayments,
        grace_periods=loan.grace_periods,
        disbursed_on=disbursed_on,
    )
    instalments = [
        Instalment(
            loan=loan,
            number=row.number,
            due_on=row.due_on,
            principal_due=row.principal_due,
            interest_due=row.interest_due,
        )
        for row in rows
    ]
    for instalment in instalments:
        # The loan was approved (under our lock), so it has no instalments yet: the unique check on
        # (loan, number) would cost a query per row for nothing; the database constraint still holds.
        instalment.full_clean(validate_unique=False, validate_constraints=False)
    Instalment.objects.bulk_create(instalments)
    refresh_stored_state(loan)

    loan.status = LoanStatus.ACTIVE
    loan.disbursed_on = disbursed_on
    save_loan(loan, disbursed_by)
    return loan
