"""Writes for input credit: the loan life cycle and the transaction ledger.

submitted -> approved -> active (disbursed) -> closed | written off; rejected / withdrawn before
disbursement. Every money movement is a LoanTransaction and every fee or penalty a LoanCharge, both
append-only (a mistake is undone by a reversal entry); balances are read from them (credit.selectors).
Payments are split over the schedule oldest instalment first, each instalment's components in the loan's
allocation order (credit.schedule). Services that move money, charge or change a loan's status lock the
loan row first (select_for_update), so two requests on the same loan run one after the other and the
second one sees what the first wrote.
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperative.models import AllianceProgram
from credit import schedule, selectors
from credit.models import (
    CHARGE_KINDS,
    ChargeKind,
    CreditProduct,
    InputItem,
    Instalment,
    Loan,
    LoanCharge,
    LoanLine,
    LoanStatus,
    LoanTransaction,
    TransactionKind,
)
from members.models import Member

REFERENCE_ATTEMPTS = 5
# Length of django-simple-history's history_change_reason column.
HISTORY_REASON_LENGTH = 100
REPAYMENT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.HARVEST_DEDUCTION)
REVERSIBLE_KINDS = (
    TransactionKind.REPAYMENT,
    TransactionKind.HARVEST_DEDUCTION,
    TransactionKind.WAIVER,
    TransactionKind.WRITE_OFF,
)
TERM_FIELDS = (
    "interest_method",
    "annual_rate",
    "repayment_mode",
    "number_of_repayments",
    "grace_periods",
    "max_deduction_percent",
    "arrears_tolerance",
    "allocation_order",
)
# What a waiver may forgive: charges and interest. Forgiving principal is a write-off.
WAIVABLE_COMPONENTS = (schedule.INTEREST, schedule.FEE, schedule.PENALTY)
WAIVABLE_NAMES = {
    schedule.INTEREST: gettext_lazy("interest"),
    schedule.FEE: gettext_lazy("fees"),
    schedule.PENALTY: gettext_lazy("penalties"),
}


def _lock(loan: Loan) -> Loan:
    """The loan re-read under a row lock (held until the surrounding transaction ends)."""
    return Loan.objects.select_for_update().get(pk=loan.pk)


def _save_loan(loan: Loan, user: AbstractBaseUser, reason: str = "") -> None:
    """Validate and save, naming the user (and reason) in the loan's history."""
    loan.full_clean()
    loan._history_user = user
    if reason:
        loan._change_reason = reason[:HISTORY_REASON_LENGTH]
    loan.save()


def _record(transaction_row: LoanTransaction) -> LoanTransaction:
    transaction_row.full_clean()
    transaction_row.save()
    _refresh_arrears(transaction_row.loan)
    return transaction_row


def _refresh_arrears(loan: Loan) -> None:
    """Recompute Loan.oldest_unpaid_due_on after a change to the loan's schedule, ledger or charges (on the
    row and on `loan`, so a later save of `loan` keeps it). Three or four queries."""
    loan.oldest_unpaid_due_on = selectors.loan_oldest_unpaid_due_on(loan)
    Loan.objects.filter(pk=loan.pk).update(oldest_unpaid_due_on=loan.oldest_unpaid_due_on)


def _portion_fields(portions: schedule.Portions) -> dict[str, Decimal]:
    """A LoanTransaction's portion fields from schedule.Portions."""
    return {
        "principal_portion": portions.principal,
        "interest_portion": portions.interest,
        "fee_portion": portions.fee,
        "penalty_portion": portions.penalty,
    }


def _close_if_settled(loan: Loan, outstanding_after: Decimal, on: datetime.date, user: AbstractBaseUser) -> None:
    """An active loan with nothing left outstanding is closed on `on`."""
    if loan.status == LoanStatus.ACTIVE and outstanding_after <= 0:
        loan.status = LoanStatus.CLOSED
        loan.closed_on = on
        _save_loan(loan, user)


def _check_reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({field: _("Give the reason.")})
    return reason


def _check_not_future(value: datetime.date, field: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


def _check_money(amount: Decimal, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    if amount != schedule.to_cents(amount):
        raise ValidationError({field: _("The amount must be in whole céntimos (two decimal places).")})
    return amount


def _next_reference(year: int) -> str:
    """CR-<year>-<5-digit sequence>, one above the highest of that year."""
    prefix = f"CR-{year}-"
    last = (
        Loan.objects.filter(reference__regex=rf"^{re.escape(prefix)}[0-9]{{5}}$")
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _insert_with_reference(loan: Loan, user: AbstractBaseUser, explicit: bool) -> None:
    """Save a new loan. A generated reference taken by a concurrent request is replaced by the next one."""
    for attempt in range(REFERENCE_ATTEMPTS):
        if not explicit:
            loan.reference = _next_reference(loan.submitted_on.year)
        loan.full_clean()
        loan._history_user = user
        try:
            # A savepoint, so a unique violation from a concurrent insert leaves our transaction usable.
            with transaction.atomic():
                loan.save()
            return
        except IntegrityError:
            if explicit or attempt == REFERENCE_ATTEMPTS - 1:
                raise ValidationError({"reference": _("This loan reference is already in use.")}) from None


@transaction.atomic
def loan_create(
    *,
    member: Member,
    product: CreditProduct,
    lines: Sequence[tuple[InputItem, Decimal]],
    submitted_by: AbstractBaseUser,
    submitted_on: datetime.date,
    program: AllianceProgram | None = None,
    reference: str | None = None,
    notes: str = "",
) -> Loan:
    """Submit a loan application for in-kind inputs.

    Each line copies the item's current unit price; the principal is the sum of the line amounts
    (quantity × unit price, in céntimos, ROUND_HALF_UP). Without `reference`, the next free
    CR-<year>-<nnnnn> of the submission year is used. Writes the loan and its lines; raises
    ValidationError and writes nothing on bad input.
    """
    if not lines:
        raise ValidationError({"lines": _("A loan needs at least one item.")})
    if member.status != Member.Status.ACTIVE:
        raise ValidationError({"member": _("Only an active member can apply for credit.")})
    if not product.is_active:
        raise ValidationError({"product": _("This credit product is no longer offered.")})
    _check_not_future(submitted_on, "submitted_on")

    priced_lines = []
    for item, quantity in lines:
        if not isinstance(quantity, Decimal | int):
            raise TypeError("quantities are Decimal")
        quantity = Decimal(quantity)
        if quantity <= 0:
            raise ValidationError(
                {"lines": _("The quantity of %(item)s must be greater than zero.") % {"item": item.name}}
            )
        if not item.is_active:
            raise ValidationError({"lines": _("%(item)s is no longer in the catalogue.") % {"item": item.name}})
        amount = schedule.to_cents(quantity * item.unit_price)
        if amount <= 0:
            raise ValidationError({"lines": _("The amount of %(item)s rounds to zero.") % {"item": item.name}})
        priced_lines.append(LoanLine(item=item, quantity=quantity, unit_price=item.unit_price, amount=amount))

    loan = Loan(
        member=member,
        product=product,
        program=program,
        status=LoanStatus.SUBMITTED,
        principal=sum((line.amount for line in priced_lines), Decimal("0.00")),
        submitted_on=submitted_on,
        submitted_by=submitted_by,
        reference=reference or "",
        notes=notes,
    )
    _insert_with_reference(loan, submitted_by, explicit=reference is not None)
    for line in priced_lines:
        line.loan = loan
        line.full_clean()
        line.save()
    return loan


@transaction.atomic
def loan_approve(*, loan: Loan, approved_by: AbstractBaseUser, approved_on: datetime.date) -> Loan:
    """Approve a submitted loan and copy its product's terms onto it (later product edits do not move it).

    Maker-checker: the approver cannot be the person who submitted it. Locks the loan row.
    """
    loan = _lock(loan)
    if loan.status != LoanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted loan can be approved."))
    if approved_by.pk == loan.submitted_by_id:
        raise ValidationError({"approved_by": _("A loan must be approved by someone other than who submitted it.")})
    _check_not_future(approved_on, "approved_on")
    if approved_on < loan.submitted_on:
        raise ValidationError({"approved_on": _("A loan cannot be approved before it was submitted.")})
    product = loan.product
    for field in TERM_FIELDS:
        setattr(loan, field, getattr(product, field))
    loan.status = LoanStatus.APPROVED
    loan.approved_by = approved_by
    loan.approved_on = approved_on
    _save_loan(loan, approved_by)
    return loan


def _end_before_disbursement(*, loan: Loan, user: AbstractBaseUser, reason: str, status: str) -> Loan:
    loan = _lock(loan)
    if loan.status not in (LoanStatus.SUBMITTED, LoanStatus.APPROVED):
        raise ValidationError(_("Only a submitted or approved loan can be rejected or withdrawn."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    if len(reason) > HISTORY_REASON_LENGTH:
        # The loan has no column of its own for it: the reason lives in its history.
        raise ValidationError(
            {"reason": _("Keep the reason within %(limit)d characters.") % {"limit": HISTORY_REASON_LENGTH}}
        )
    loan.status = status
    _save_loan(loan, user, reason)
    return loan


@transaction.atomic
def loan_reject(*, loan: Loan, rejected_by: AbstractBaseUser, reason: str) -> Loan:
    """The cooperative declines a submitted or approved loan. Who and why are kept in the loan's history."""
    return _end_before_disbursement(loan=loan, user=rejected_by, reason=reason, status=LoanStatus.REJECTED)


@transaction.atomic
def loan_withdraw(*, loan: Loan, withdrawn_by: AbstractBaseUser, reason: str) -> Loan:
    """The member gives up a submitted or approved loan. Who and why are kept in the loan's history."""
    return _end_before_disbursement(loan=loan, user=withdrawn_by, reason=reason, status=LoanStatus.WITHDRAWN)


@transaction.atomic
def loan_disburse(*, loan: Loan, disbursed_by: AbstractBaseUser, disbursed_on: datetime.date) -> Loan:
    """Hand over the inputs: a disbursement transaction for the principal, the schedule, status active.

    Locks the loan row. Writes one transaction, the instalments and the loan.
    """
    loan = _lock(loan)
    if loan.status != LoanStatus.APPROVED:
        raise ValidationError(_("Only an approved loan can be disbursed."))
    _check_not_future(disbursed_on, "disbursed_on")
    if disbursed_on < loan.approved_on:
        raise ValidationError({"disbursed_on": _("A loan cannot be disbursed before it was approved.")})

    _record(
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
    _refresh_arrears(loan)

    loan.status = LoanStatus.ACTIVE
    loan.disbursed_on = disbursed_on
    _save_loan(loan, disbursed_by)
    return loan


def _check_ledger_date(loan: Loan, occurred_on: datetime.date) -> None:
    _check_not_future(occurred_on, "occurred_on")
    if occurred_on < loan.disbursed_on:
        raise ValidationError({"occurred_on": _("The date cannot be before the loan was disbursed.")})


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
    _check_money(amount)
    loan = _lock(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Repayments can only be recorded on an active loan."))
    _check_ledger_date(loan, occurred_on)
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
    row = _record(
        LoanTransaction(
            loan=loan,
            kind=kind,
            occurred_on=occurred_on,
            amount=amount,
            **_portion_fields(portions),
            note=note,
            recorded_by=recorded_by,
        )
    )
    _close_if_settled(loan, balance.total_outstanding - amount, occurred_on, recorded_by)
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
    _check_not_future(occurred_on, "occurred_on")
    if occurred_on < original.occurred_on:
        raise ValidationError({"occurred_on": _("A reversal cannot be dated before the transaction it reverses.")})

    try:
        reversal = _record(
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
        _save_loan(loan, recorded_by, reason.strip())
    return reversal


@transaction.atomic
def loan_write_off(
    *, loan: Loan, recorded_by: AbstractBaseUser, occurred_on: datetime.date, reason: str
) -> LoanTransaction:
    """Write off everything still owed (principal, interest, fees and penalties): one write-off transaction
    with those portions, status written off.

    Locks the loan row. Returns the transaction (its `loan` is the updated loan).
    """
    loan = _lock(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Only an active loan can be written off."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the write-off.")})
    _check_ledger_date(loan, occurred_on)
    balance = selectors.loan_balance(loan)
    if balance.total_outstanding <= 0:
        raise ValidationError(_("Nothing is outstanding on this loan."))
    row = _record(
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
    _save_loan(loan, recorded_by, reason.strip())
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
    _check_money(amount)
    loan = _lock(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Only an active loan can have amounts waived."))
    reason = _check_reason(reason)
    _check_ledger_date(loan, occurred_on)
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
    row = _record(
        LoanTransaction(
            loan=loan,
            kind=TransactionKind.WAIVER,
            occurred_on=occurred_on,
            amount=amount,
            **_portion_fields(schedule.Portions(**{component: amount})),
            note=reason,
            recorded_by=recorded_by,
        )
    )
    _close_if_settled(loan, balance.total_outstanding - amount, occurred_on, recorded_by)
    return row


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
    _check_money(amount)
    loan = _lock(loan)
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError(_("Fees and penalties can only be charged on an active loan."))
    reason = _check_reason(reason)
    occurred_on = occurred_on or timezone.localdate()
    _check_ledger_date(loan, occurred_on)
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
    _refresh_arrears(loan)
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
    reason = _check_reason(reason)
    _check_not_future(occurred_on, "occurred_on")
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
    _refresh_arrears(loan)
    _close_if_settled(loan, balance.total_outstanding - original.amount, occurred_on, recorded_by)
    return reversal
