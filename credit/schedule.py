"""Repayment schedule arithmetic and the allocation of payments to instalments. Pure functions, no queries.

Money is Decimal throughout. Every amount placed on an instalment is quantized to céntimos (S/ 0.01) with
ROUND_HALF_UP, the rounding a cashier applies; intermediate values (monthly rates, unrounded shares) keep
the default 28-digit Decimal precision. The last instalment absorbs what rounding left over, so the
principal of the instalments sums exactly to the loan's principal and the interest to the computed total.
"""

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONTHS_PER_YEAR = Decimal("12")
HUNDRED = Decimal("100")
# A harvest bullet with no grace set falls due after one growing season.
DEFAULT_BULLET_MONTHS = 6

FLAT = "flat"
DECLINING_BALANCE = "declining_balance"
PERIODIC = "periodic"
HARVEST_BULLET = "harvest_bullet"


def to_cents(value: Decimal) -> Decimal:
    """Quantize to céntimos, ROUND_HALF_UP."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` later, clamped to the end of a shorter month (31 Jan + 1 = 28/29 Feb).

    Always counted from `start`, so a schedule from 31 January runs 28 Feb, 31 Mar, 30 Apr, ...
    """
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    return datetime.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ScheduleRow:
    number: int
    due_on: datetime.date
    principal_due: Decimal
    interest_due: Decimal

    @property
    def total_due(self) -> Decimal:
        return self.principal_due + self.interest_due


def _split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`parts` amounts in céntimos summing exactly to `total`; the last one absorbs the rounding.

    The regular share is rounded ROUND_HALF_UP. Only when that would leave the last share negative
    (tiny totals over many parts, e.g. S/ 0.09 over 6) is the regular share rounded down instead.
    """
    share = to_cents(total / parts)
    if share * (parts - 1) > total:
        share = (total / parts).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def generate_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    interest_method: str,
    repayment_mode: str,
    number_of_repayments: int,
    grace_periods: int,
    disbursed_on: datetime.date,
) -> list[ScheduleRow]:
    """The instalments of a loan disbursed on `disbursed_on`. `annual_rate` is a percentage (12.00 = 12 %).

    Periodic (monthly) loans: instalment k falls due `grace_periods + k` months after disbursement, so
    the grace months come before the ordinary monthly cycle. Interest runs over the whole term, grace
    included.
    - flat: interest = principal × rate × (grace + n) / 12, spread evenly over the instalments; the
      principal is spread evenly too.
    - declining_balance: equal principal instalments (not an annuity), so every instalment repays the
      same principal and the interest of each month is charged on the balance still owed during it.
      Interest accrued on the whole principal during the grace months is due with the first instalment.
      Equal principal keeps each instalment's interest traceable to one balance, which members and
      auditors can check by hand.

    Harvest bullet: one instalment of the whole principal, due `grace_periods` months after disbursement
    (6 when grace is 0), with flat interest principal × rate × months / 12 (for one payment the flat and
    declining-balance methods coincide).

    Raises ValueError on arguments no loan can have.
    """
    if principal <= 0:
        raise ValueError("principal must be positive")
    if annual_rate < 0:
        raise ValueError("annual_rate cannot be negative")
    if number_of_repayments < 1:
        raise ValueError("number_of_repayments must be at least 1")
    if grace_periods < 0:
        raise ValueError("grace_periods cannot be negative")
    if interest_method not in (FLAT, DECLINING_BALANCE):
        raise ValueError(f"unknown interest method {interest_method!r}")
    rate = annual_rate / HUNDRED

    if repayment_mode == HARVEST_BULLET:
        if number_of_repayments != 1:
            raise ValueError("a harvest bullet loan has exactly one repayment")
        months = grace_periods or DEFAULT_BULLET_MONTHS
        interest = to_cents(principal * rate * months / MONTHS_PER_YEAR)
        return [ScheduleRow(1, add_months(disbursed_on, months), principal, interest)]
    if repayment_mode != PERIODIC:
        raise ValueError(f"unknown repayment mode {repayment_mode!r}")

    n = number_of_repayments
    due_dates = [add_months(disbursed_on, grace_periods + k) for k in range(1, n + 1)]
    principal_parts = _split_evenly(principal, n)
    if interest_method == FLAT:
        total_interest = to_cents(principal * rate * (grace_periods + n) / MONTHS_PER_YEAR)
        interest_parts = _split_evenly(total_interest, n)
    else:
        monthly_rate = rate / MONTHS_PER_YEAR
        interest_parts = []
        balance = principal
        for k, principal_part in enumerate(principal_parts):
            months = grace_periods + 1 if k == 0 else 1
            interest_parts.append(to_cents(balance * monthly_rate * months))
            balance -= principal_part
    return [
        ScheduleRow(number, due_on, principal_part, interest_part)
        for number, (due_on, principal_part, interest_part) in enumerate(
            zip(due_dates, principal_parts, interest_parts, strict=True), start=1
        )
    ]


class ScheduledInstalment(Protocol):
    number: int
    due_on: datetime.date
    principal_due: Decimal
    interest_due: Decimal


@dataclass(frozen=True)
class InstalmentPaid:
    """How much of one instalment the ledger has paid."""

    instalment: ScheduledInstalment
    principal_paid: Decimal
    interest_paid: Decimal

    @property
    def principal_unpaid(self) -> Decimal:
        return self.instalment.principal_due - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.instalment.interest_due - self.interest_paid

    @property
    def total_unpaid(self) -> Decimal:
        return self.principal_unpaid + self.interest_unpaid

    @property
    def is_paid(self) -> bool:
        return self.total_unpaid <= 0


def allocate_paid(
    instalments: Iterable[ScheduledInstalment], *, principal_paid: Decimal, interest_paid: Decimal
) -> list[InstalmentPaid]:
    """Spread the ledger's paid principal and paid interest over the instalments in due order.

    Principal and interest are allocated separately, each to the oldest instalment first. While payments
    are allocated interest-before-principal per instalment this gives the same picture as replaying them,
    and it stays consistent with the portions stored on the ledger after a reversal of an older payment.
    """
    ordered = sorted(instalments, key=lambda i: (i.due_on, i.number))
    result = []
    for instalment in ordered:
        principal_part = min(principal_paid, instalment.principal_due)
        interest_part = min(interest_paid, instalment.interest_due)
        principal_paid -= principal_part
        interest_paid -= interest_part
        result.append(InstalmentPaid(instalment, principal_part, interest_part))
    return result


def split_payment(allocation: Sequence[InstalmentPaid], amount: Decimal) -> tuple[Decimal, Decimal]:
    """(principal, interest) portions of a new payment: oldest unpaid instalment first, its interest first.

    Raises ValueError for an amount beyond everything still unpaid; callers refuse such amounts first.
    """
    remaining = amount
    principal = interest = ZERO
    for paid in allocation:
        take = min(remaining, max(paid.interest_unpaid, ZERO))
        interest += take
        remaining -= take
        take = min(remaining, max(paid.principal_unpaid, ZERO))
        principal += take
        remaining -= take
        if remaining <= 0:
            return principal, interest
    raise ValueError("the amount is more than the unpaid instalments")


def days_past_due(allocation: Iterable[InstalmentPaid], *, tolerance: Decimal, as_of: datetime.date) -> int:
    """Days between `as_of` and the due date of the oldest instalment still unpaid beyond `tolerance`.

    An instalment counts as unpaid when what is left of it (principal and interest) exceeds the arrears
    tolerance; one due on `as_of` itself is not yet past due. 0 when nothing is overdue.
    """
    for paid in allocation:
        due_on = paid.instalment.due_on
        if due_on >= as_of:
            return 0
        if paid.total_unpaid > tolerance:
            return (as_of - due_on).days
    return 0
