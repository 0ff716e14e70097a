"""Repayment schedule arithmetic and the allocation of payments to instalments. Pure functions, no queries.

Rounding
--------
Money is Decimal throughout. Every amount placed on an instalment is quantized to céntimos (S/ 0.01) with
ROUND_HALF_UP (S/ 12.505 -> 12.51, not banker's 12.50), the rounding a cashier applies, once per
instalment; intermediate values (monthly rates, unrounded shares) keep the default 28-digit Decimal
precision. Principal: each instalment gets the rounded even share and the last one absorbs what rounding
left over, so the instalments sum exactly to the loan's principal. Flat interest: the total is computed and
rounded once, then split the same way (the last instalment absorbs the rest). Declining-balance interest:
each instalment's interest is its own month(s) of interest on the balance then owed, rounded on its own;
the loan's interest is by definition the sum of those rounded amounts. Either way principal + interest of
the schedule is exactly what the member owes; nothing is lost or created by rounding.

Allocation
----------
A loan's allocation order is a permutation of the four components penalty, fee, interest and principal
(default penalty -> fee -> interest -> principal, Apache Fineract's). A payment goes to the oldest
instalment first (by due date, then number) and, within it, to the components in the loan's order; only
what is left when the instalment is fully paid goes on to the next one.

Charges (fees and penalties, credit.models.LoanCharge) join the schedule by due date: a charge is owed
with the first instalment due on or after the charge's due date; it is added to that instalment, paid
with it and makes it late with it. A charge due after the last instalment is owed on its own date, as a
row of its own after the instalments (charges due on the same such date share one row).

What the ledger has paid of each component is spread over the rows oldest first (allocate_paid), each
component on its own. For payments split as above this is exactly the picture a replay of the payments
would give, and it stays consistent with the portions stored on the ledger after a reversal.
"""

import bisect
import calendar
import datetime
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

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

PRINCIPAL = "principal"
INTEREST = "interest"
FEE = "fee"
PENALTY = "penalty"
COMPONENTS = (PENALTY, FEE, INTEREST, PRINCIPAL)
# Fineract's default: charges first, then interest, then principal.
DEFAULT_ALLOCATION_ORDER = ",".join(COMPONENTS)
# Every valid allocation order, as stored on products and loans ("penalty,fee,interest,principal").
ALLOCATION_ORDERS = tuple(",".join(order) for order in itertools.permutations(COMPONENTS))


def parse_allocation_order(value: str) -> tuple[str, ...]:
    """The components of a stored allocation order, in order. ValueError unless it names each of penalty,
    fee, interest and principal exactly once, comma-separated, without spaces."""
    if value not in ALLOCATION_ORDERS:
        raise ValueError(f"{value!r} is not an order of {', '.join(COMPONENTS)}")
    return tuple(value.split(","))


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
    if principal != to_cents(principal):
        raise ValueError("principal must be in whole céntimos")
    principal = to_cents(principal)  # 2500 -> 2500.00, so every row carries two places
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


class ScheduledCharge(Protocol):
    kind: str  # FEE or PENALTY
    amount: Decimal
    due_on: datetime.date


class Portions(NamedTuple):
    """How a payment (or a ledger total) splits over the four components."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True)
class InstalmentPaid:
    """One row of the schedule (an instalment with the charges owed with it) and how much of each component
    the ledger has paid on it.

    `charges_only` marks a row that is no instalment but the charges due on one date after the last
    instalment; its `instalment` is then a ScheduleRow with no principal or interest, numbered after the
    last instalment.
    """

    instalment: ScheduledInstalment
    principal_paid: Decimal
    interest_paid: Decimal
    fee_due: Decimal = ZERO
    penalty_due: Decimal = ZERO
    fee_paid: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    charges_only: bool = False

    @property
    def due_on(self) -> datetime.date:
        return self.instalment.due_on

    @property
    def principal_due(self) -> Decimal:
        return self.instalment.principal_due

    @property
    def interest_due(self) -> Decimal:
        return self.instalment.interest_due

    def due(self, component: str) -> Decimal:
        return getattr(self, f"{component}_due")

    def paid(self, component: str) -> Decimal:
        return getattr(self, f"{component}_paid")

    def unpaid(self, component: str) -> Decimal:
        return self.due(component) - self.paid(component)

    @property
    def principal_unpaid(self) -> Decimal:
        return self.unpaid(PRINCIPAL)

    @property
    def interest_unpaid(self) -> Decimal:
        return self.unpaid(INTEREST)

    @property
    def fee_unpaid(self) -> Decimal:
        return self.unpaid(FEE)

    @property
    def penalty_unpaid(self) -> Decimal:
        return self.unpaid(PENALTY)

    @property
    def charges_due(self) -> Decimal:
        return self.fee_due + self.penalty_due

    @property
    def total_due(self) -> Decimal:
        return sum((self.due(component) for component in COMPONENTS), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum((self.paid(component) for component in COMPONENTS), ZERO)

    @property
    def total_unpaid(self) -> Decimal:
        return self.total_due - self.total_paid

    @property
    def is_paid(self) -> bool:
        return self.total_unpaid <= 0


def _rows_with_charges(
    instalments: Iterable[ScheduledInstalment], charges: Iterable[ScheduledCharge]
) -> list[tuple[ScheduledInstalment, dict[str, Decimal], bool]]:
    """The instalments in due order, each with the fees and penalties owed with it, then one row per later
    charge date (see the module docstring)."""
    ordered = sorted(instalments, key=lambda i: (i.due_on, i.number))
    due_dates = [instalment.due_on for instalment in ordered]
    rows = [(instalment, {FEE: ZERO, PENALTY: ZERO}, False) for instalment in ordered]
    later: dict[datetime.date, dict[str, Decimal]] = {}
    for charge in charges:
        if charge.kind not in (FEE, PENALTY):
            raise ValueError(f"unknown charge kind {charge.kind!r}")
        index = bisect.bisect_left(due_dates, charge.due_on)  # the first instalment due on or after it
        if index < len(rows):
            rows[index][1][charge.kind] += charge.amount
        else:
            later.setdefault(charge.due_on, {FEE: ZERO, PENALTY: ZERO})[charge.kind] += charge.amount
    last_number = ordered[-1].number if ordered else 0
    for offset, due_on in enumerate(sorted(later), start=1):
        row = ScheduleRow(last_number + offset, due_on, ZERO, ZERO)
        rows.append((row, later[due_on], True))
    return rows


def allocate_paid(
    instalments: Iterable[ScheduledInstalment],
    *,
    principal_paid: Decimal,
    interest_paid: Decimal,
    fee_paid: Decimal = ZERO,
    penalty_paid: Decimal = ZERO,
    charges: Iterable[ScheduledCharge] = (),
) -> list[InstalmentPaid]:
    """Spread what the ledger has paid of each component over the schedule rows, oldest row first.

    `charges` (fees and penalties still in force) are placed on the rows by due date (module docstring).
    Each component is allocated on its own, to the oldest row first: while payments are split
    instalment by instalment in the allocation order this gives the same picture as replaying them, and it
    stays consistent with the portions stored on the ledger after a reversal of an older payment.
    """
    remaining = {PRINCIPAL: principal_paid, INTEREST: interest_paid, FEE: fee_paid, PENALTY: penalty_paid}
    result = []
    for instalment, charge_dues, charges_only in _rows_with_charges(instalments, charges):
        dues = {
            PRINCIPAL: instalment.principal_due,
            INTEREST: instalment.interest_due,
            FEE: charge_dues[FEE],
            PENALTY: charge_dues[PENALTY],
        }
        paid = {}
        for component, due in dues.items():
            paid[component] = max(min(remaining[component], due), ZERO)
            remaining[component] -= paid[component]
        result.append(
            InstalmentPaid(
                instalment,
                principal_paid=paid[PRINCIPAL],
                interest_paid=paid[INTEREST],
                fee_due=dues[FEE],
                penalty_due=dues[PENALTY],
                fee_paid=paid[FEE],
                penalty_paid=paid[PENALTY],
                charges_only=charges_only,
            )
        )
    return result


def split_payment(allocation: Sequence[InstalmentPaid], amount: Decimal, order: Sequence[str] = COMPONENTS) -> Portions:
    """The portions of a new payment: oldest unpaid row first and, within a row, the components in `order`
    (a permutation of COMPONENTS; the default is penalty, fee, interest, principal).

    Raises ValueError for an amount beyond everything still unpaid; callers refuse such amounts first.
    """
    if sorted(order) != sorted(COMPONENTS):
        raise ValueError(f"{order!r} is not an order of {', '.join(COMPONENTS)}")
    remaining = amount
    taken = dict.fromkeys(COMPONENTS, ZERO)
    for row in allocation:
        for component in order:
            take = min(remaining, max(row.unpaid(component), ZERO))
            taken[component] += take
            remaining -= take
        if remaining <= 0:
            return Portions(**taken)
    raise ValueError("the amount is more than the unpaid instalments")


def oldest_unpaid_due_on(allocation: Iterable[InstalmentPaid], *, tolerance: Decimal) -> datetime.date | None:
    """The due date of the oldest row still unpaid beyond `tolerance` (None when every row is paid): a row
    counts as unpaid when what is left of it (principal, interest and the charges owed with it) exceeds the
    arrears tolerance. `allocation` is in due order, as allocate_paid returns it."""
    for paid in allocation:
        if paid.total_unpaid > tolerance:
            return paid.instalment.due_on
    return None


def days_since_due(oldest_unpaid_due_on: datetime.date | None, as_of: datetime.date) -> int:
    """Days past due on `as_of` of a loan whose oldest unpaid row fell due on `oldest_unpaid_due_on` (None:
    nothing unpaid): `as_of` minus that date, 0 when it is not earlier (a row due on `as_of` is not yet late)."""
    if oldest_unpaid_due_on is None:
        return 0
    return max((as_of - oldest_unpaid_due_on).days, 0)


def days_past_due(allocation: Iterable[InstalmentPaid], *, tolerance: Decimal, as_of: datetime.date) -> int:
    """Days between `as_of` and the due date of the oldest row still unpaid beyond `tolerance` (see
    oldest_unpaid_due_on and days_since_due); 0 when nothing is overdue."""
    return days_since_due(oldest_unpaid_due_on(allocation, tolerance=tolerance), as_of)
