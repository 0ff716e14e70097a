"""Fees and penalties: charging one on an active loan, and cancelling one charged by mistake with a reversal
entry. Each is one LoanCharge, written under the loan's row lock."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit import selectors
from credit.models import CHARGE_KINDS, ChargeKind, Loan, LoanCharge, LoanStatus
from credit.services.ledger import (
    check_ledger_date,
    check_money,
    check_not_future,
    check_reason,
    close_if_settled,
    lock_loan,
    refresh_stored_state,
)


@transaction.atomic
def loan_charge_add(
    *,
    loan: Loan,
    kind: str,
    amount: Decimal,
    due_on: datetime.date,
    reason: str,
    recorded_by: AbstractBaseUser,
    occurred_on: datetime.date | None = None,
) -> LoanCharge:
    """Charge a fee or a penalty (`kind` "fee" or "penalty") on an active loan, due on `due_on`.

    The charge is owed with the first instalment due on or after `due_on` (after the last instalment it is
    owed on its own date) and counts in the balance from `occurred_on` (default today), which can be neither
    in the future nor before the disbursement; `due_on` cannot be before the disbursement either. Append-only:
    cancel it with loan_charge_reverse. Locks the loan row. Writes one LoanCharge and returns it.
    """
    if kind not in CHARGE_KINDS:
        raise ValidationError({"kind": _("A charge is either a fee or a penalty.")})
    check_money(amount)
    loan = lock_loan(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Fees and penalties can only be charged on an active loan."))
    reason = check_reason(reason)
    occurred_on = occurred_on or timezone.localdate()
    check_ledger_date(loan, occurred_on)
    if due_on < loan.disbursed_on:
        raise ValidationError({"due_on": _("A charge cannot fall due before the loan was disbursed.")})
    charge = LoanCharge(
        loan=loan,
        kind=kind,
        amount=amount,
        due_on=due_on,
        occurred_on=occurred_on,
        reason=reason,
        recorded_by=recorded_by,
    )
    charge.full_clean()
    charge.save()
    refresh_stored_state(loan)
    return charge


@transaction.atomic
def loan_charge_reverse(
    *, charge: LoanCharge, recorded_by: AbstractBaseUser, occurred_on: datetime.date, reason: str
) -> LoanCharge:
    """Cancel a fee or penalty charged by mistake with a reversal entry (same kind of row, naming the
    charge); the charge counts zero from `occurred_on`. A charge is reversed at most once.

    Refused while payments or waivers of that kind of charge would exceed what remains charged without it:
    reverse those first (the ledger never shows more paid than owed). A loan left with nothing outstanding
    is closed. Locks the loan row. Returns the reversal entry (its `loan` is the updated loan).
    """
    loan = Loan.objects.select_for_update().get(pk=charge.loan_id)
    original = LoanCharge.objects.get(pk=charge.pk)
    if original.kind not in CHARGE_KINDS:
        raise ValidationError(_("A reversal cannot be reversed."))
    if LoanCharge.objects.filter(reverses=original).exists():
        raise ValidationError(_("This charge has already been reversed."))
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Charges can only be reversed on an active loan."))
    reason = check_reason(reason)
    check_not_future(occurred_on, "occurred_on")
    if occurred_on < original.occurred_on:
        raise ValidationError({"occurred_on": _("A reversal cannot be dated before the charge it reverses.")})
    balance = selectors.loan_balance(loan)
    if original.kind == ChargeKind.FEE:
        paid, charged = balance.fee_paid, balance.fee_due_total
    else:
        paid, charged = balance.penalty_paid, balance.penalty_due_total
    if paid > charged - original.amount:
        raise ValidationError(
            _(
                "S/ %(paid)s of this loan's %(kind)s charges has been paid or waived, more than would remain "
                "charged without this one. Reverse those payments first."
            )
            % {"paid": paid, "kind": original.get_kind_display().lower()}
        )
    reversal = LoanCharge(
        loan=loan,
        kind=ChargeKind.REVERSAL,
        amount=original.amount,
        due_on=original.due_on,
        occurred_on=occurred_on,
        reason=reason,
        reverses=original,
        recorded_by=recorded_by,
    )
    reversal.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError:
        # The one-to-one on `reverses` caught a reversal committed by a concurrent request.
        raise ValidationError(_("This charge has already been reversed.")) from None
    refresh_stored_state(loan)
    close_if_settled(loan, balance.total_outstanding - original.amount, occurred_on, recorded_by)
    return reversal
