"""What a settlement deducts from a delivery payment. Pure functions, no queries.

The preview page (deliveries.selectors.settlement_plan) and the settlement itself
(deliveries.services.delivery_settle) both call plan_settlement, so what the preview shows is what is paid.

The credit cap, when a member owes several loans (of products with different caps):

1. The loans are repaid oldest first: by disbursement date, then by id.
2. Each loan takes at most its own cap, `max_deduction_percent` of the gross payment in céntimos
   (ROUND_HALF_UP: the figure credit.services.loan_repay checks), and at most what it has outstanding.
3. The credit deduction as a whole never exceeds the largest cap among those loans, so the member keeps at
   least (100 − the largest percentage) % of the payment for credit; and never what the other deductions
   left of the gross, so the net paid is never negative.

Example: a S/ 1,000.00 payment, loan A (older, 20 %) owes S/ 500.00 and loan B (40 %) owes S/ 500.00. The
largest cap is S/ 400.00: A takes S/ 200.00 (its own cap), B the S/ 200.00 left of the S/ 400.00 (its own
cap would allow S/ 400.00). With A at 40 % and B at 20 %, A takes S/ 400.00 and B nothing.

Other deductions (association fee, transport, other) are fixed amounts typed by the cashier; together they
may not exceed the gross amount.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The ledger's rounding (céntimos, ROUND_HALF_UP): a cap computed here is the cap loan_repay checks.
from credit.schedule import to_cents
from deliveries.models import OTHER_DEDUCTION_KINDS, DeductionKind

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class LoanDue:
    """A loan the payment may repay: what it owes now and its cap (the loan's copy of the product term)."""

    loan: object  # credit.models.Loan; kept loose so the arithmetic can be tested without a database
    disbursed_on: datetime.date
    loan_id: int
    outstanding: Decimal
    max_deduction_percent: Decimal

    def cap(self, gross: Decimal) -> Decimal:
        return to_cents(gross * self.max_deduction_percent / HUNDRED)


@dataclass(frozen=True)
class OtherDeduction:
    kind: str
    amount: Decimal
    note: str = ""

    @property
    def label(self) -> str:
        return str(DeductionKind(self.kind).label)


@dataclass(frozen=True)
class CreditLine:
    loan: object
    loan_id: int
    amount: Decimal
    cap: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class SettlementPlan:
    gross_amount: Decimal
    credit_lines: tuple[CreditLine, ...]
    other_lines: tuple[OtherDeduction, ...]
    credit_limit: Decimal  # the most credit could take: the largest cap, within what the others left
    loans: tuple[LoanDue, ...] = ()  # the loans owing something, oldest first, whether they got a share or not

    @property
    def fingerprint(self) -> str:
        """The amounts of the plan in one string: a preview and a later plan are the same payment if equal."""
        credit = ";".join(f"{line.loan_id}:{line.amount}" for line in self.credit_lines)
        return f"{self.gross_amount}|{credit}|{self.other_total}|{self.net_paid}"

    @property
    def credit_total(self) -> Decimal:
        return sum((line.amount for line in self.credit_lines), ZERO)

    @property
    def other_total(self) -> Decimal:
        return sum((line.amount for line in self.other_lines), ZERO)

    @property
    def loan_rows(self) -> list[tuple[LoanDue, Decimal, Decimal]]:
        """(loan due, its cap on this payment, what it is deducted) for every loan owing something."""
        taken = {line.loan_id: line.amount for line in self.credit_lines}
        return [(due, due.cap(self.gross_amount), taken.get(due.loan_id, ZERO)) for due in self.loans]

    @property
    def total_deductions(self) -> Decimal:
        return self.credit_total + self.other_total

    @property
    def net_paid(self) -> Decimal:
        return self.gross_amount - self.total_deductions


def clean_other_deductions(other_deductions: Iterable[tuple[str, Decimal, str]]) -> tuple[OtherDeduction, ...]:
    """Check each (kind, amount, note): a kind typed by the cashier, a positive amount in whole céntimos."""
    cleaned = []
    for kind, amount, note in other_deductions:
        if kind not in OTHER_DEDUCTION_KINDS:
            raise ValidationError(
                {"other_deductions": _("Credit repayments are computed from the loans; they cannot be typed.")}
                if kind == DeductionKind.CREDIT_REPAYMENT
                else {"other_deductions": _("Unknown kind of deduction: %(kind)s.") % {"kind": kind}}
            )
        if not isinstance(amount, Decimal):
            raise TypeError("amounts are Decimal")
        if amount <= 0:
            raise ValidationError({"other_deductions": _("A deduction must be greater than zero.")})
        if amount != to_cents(amount):
            raise ValidationError({"other_deductions": _("The amount must be in whole céntimos (two decimal places).")})
        cleaned.append(OtherDeduction(kind=kind, amount=amount, note=(note or "").strip()))
    return tuple(cleaned)


def plan_settlement(
    *, gross_amount: Decimal, loans: Sequence[LoanDue], other_deductions: Sequence[OtherDeduction], apply_credit: bool
) -> SettlementPlan:
    """The deductions of a payment of `gross_amount` (see the module docstring for the cap rule).

    `loans` are the member's active loans that may be repaid at the payment date, in any order. Raises
    ValidationError when the other deductions exceed the gross amount.
    """
    other_total = sum((line.amount for line in other_deductions), ZERO)
    if other_total > gross_amount:
        raise ValidationError(
            {
                "other_deductions": _(
                    "The deductions (S/ %(deductions)s) are more than the gross amount of S/ %(gross)s."
                )
                % {"deductions": other_total, "gross": gross_amount}
            }
        )
    owing = sorted((due for due in loans if due.outstanding > 0), key=lambda due: (due.disbursed_on, due.loan_id))
    if not apply_credit or not owing:
        return SettlementPlan(gross_amount, (), tuple(other_deductions), ZERO, tuple(owing) if apply_credit else ())

    limit = min(max(due.cap(gross_amount) for due in owing), gross_amount - other_total)
    remaining = limit
    lines = []
    for due in owing:
        cap = due.cap(gross_amount)
        amount = min(due.outstanding, cap, remaining)
        if amount <= 0:
            continue
        lines.append(
            CreditLine(loan=due.loan, loan_id=due.loan_id, amount=amount, cap=cap, outstanding=due.outstanding)
        )
        remaining -= amount
    return SettlementPlan(gross_amount, tuple(lines), tuple(other_deductions), limit, tuple(owing))
