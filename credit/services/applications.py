"""Applications and their decision before disbursement: submit (loan_create), approve (maker-checker, the
product's terms copied onto the loan), reject, withdraw.
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cooperative.models import AllianceProgram
from credit import schedule
from credit.models import CreditProduct, InputItem, Loan, LoanLine, LoanStatus
from credit.services.ledger import HISTORY_REASON_LENGTH, check_not_future, lock_loan, save_loan
from members.models import Member

REFERENCE_ATTEMPTS = 5
# The product's terms that approval copies onto the loan (later product edits do not move it).
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
    check_not_future(submitted_on, "submitted_on")

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
    loan = lock_loan(loan)
    if loan.status != LoanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted loan can be approved."))
    if approved_by.pk == loan.submitted_by_id:
        raise ValidationError({"approved_by": _("A loan must be approved by someone other than who submitted it.")})
    check_not_future(approved_on, "approved_on")
    if approved_on < loan.submitted_on:
        raise ValidationError({"approved_on": _("A loan cannot be approved before it was submitted.")})
    product = loan.product
    for field in TERM_FIELDS:
        setattr(loan, field, getattr(product, field))
    loan.status = LoanStatus.APPROVED
    loan.approved_by = approved_by
    loan.approved_on = approved_on
    save_loan(loan, approved_by)
    return loan


def _end_before_disbursement(*, loan: Loan, user: AbstractBaseUser, reason: str, status: str) -> Loan:
    loan = lock_loan(loan)
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
    save_loan(loan, user, reason)
    return loan


@transaction.atomic
def loan_reject(*, loan: Loan, rejected_by: AbstractBaseUser, reason: str) -> Loan:
    """The cooperative declines a submitted or approved loan. Who and why are kept in the loan's history."""
    return _end_before_disbursement(loan=loan, user=rejected_by, reason=reason, status=LoanStatus.REJECTED)


@transaction.atomic
def loan_withdraw(*, loan: Loan, withdrawn_by: AbstractBaseUser, reason: str) -> Loan:
    """The member gives up a submitted or approved loan. Who and why are kept in the loan's history."""
    return _end_before_disbursement(loan=loan, user=withdrawn_by, reason=reason, status=LoanStatus.WITHDRAWN)
