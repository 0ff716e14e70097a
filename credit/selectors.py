"""Reads for input credit: balances from the ledger, instalment allocation, days past due, portfolio at risk.

Balances are never stored: they are sums of the ledger. A reducing transaction (repayment, harvest
deduction, waiver, write-off) that has been reversed counts zero, and the reversal entry itself is not
summed, so the pair cancels out. Interest owed is the interest of the schedule.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from credit import schedule
from credit.models import REDUCING_KINDS, Instalment, Loan, LoanStatus, LoanTransaction, TransactionKind

ZERO = Decimal("0.00")
RATIO_PLACES = Decimal("0.0001")
PAR_DAYS = (1, 30, 90)
BALANCE_FIELDS = (
    "principal_disbursed",
    "principal_paid",
    "interest_due_total",
    "interest_paid",
    "principal_outstanding",
    "interest_outstanding",
    "total_outstanding",
)


class _MoneyField(DecimalField):
    """Output field of the balance annotations: S/ quantized to céntimos on every database.

    SQLite returns computed decimals unquantized (1000 rather than 1000.00, and sums of REAL values
    can carry binary noise), so they are quantized here, ROUND_HALF_UP.
    """

    def from_db_value(self, value, expression, connection) -> Decimal | None:
        return None if value is None else schedule.to_cents(Decimal(value))


def _money() -> DecimalField:
    return _MoneyField(max_digits=14, decimal_places=2)


def _sum_per_loan(queryset: QuerySet, field: str) -> Coalesce:
    """SUM(field) of `queryset` for the outer loan, as a correlated subquery; 0 when there are no rows."""
    summed = (
        queryset.filter(loan=OuterRef("pk"))
        .order_by()
        .values("loan")
        .annotate(total=Sum(field, output_field=_money()))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=_money()), Value(ZERO), output_field=_money())


def annotate_balances(queryset: QuerySet[Loan]) -> QuerySet[Loan]:
    """Annotate each loan with its balance, computed in the same single query (correlated subqueries).

    Annotations (Decimal, S/): principal_disbursed, principal_paid, interest_due_total, interest_paid,
    principal_outstanding, interest_outstanding, total_outstanding.
    """
    disbursements = LoanTransaction.objects.filter(kind=TransactionKind.DISBURSEMENT)
    reductions = LoanTransaction.objects.filter(kind__in=REDUCING_KINDS, reversed_by__isnull=True)
    return queryset.annotate(
        principal_disbursed=_sum_per_loan(disbursements, "principal_portion"),
        principal_paid=_sum_per_loan(reductions, "principal_portion"),
        interest_due_total=_sum_per_loan(Instalment.objects.all(), "interest_due"),
        interest_paid=_sum_per_loan(reductions, "interest_portion"),
    ).annotate(
        # Rounded to céntimos in SQL: SQLite sums decimals in floating point, and a paid-off loan must
        # compare equal to zero there too (PostgreSQL's numeric is exact either way).
        principal_outstanding=Round(F("principal_disbursed") - F("principal_paid"), 2, output_field=_money()),
        interest_outstanding=Round(F("interest_due_total") - F("interest_paid"), 2, output_field=_money()),
        total_outstanding=Round(
            F("principal_disbursed") - F("principal_paid") + F("interest_due_total") - F("interest_paid"),
            2,
            output_field=_money(),
        ),
    )


def loans_with_outstanding(queryset: QuerySet[Loan] | None = None) -> QuerySet[Loan]:
    """Loans with member and product joined and balances annotated (see annotate_balances).

    One query however many loans are listed; `str(loan)` and the balance columns need no further query.
    """
    if queryset is None:
        queryset = Loan.objects.all()
    return annotate_balances(queryset.select_related("member", "product"))


@dataclass(frozen=True)
class LoanBalance:
    principal_disbursed: Decimal
    principal_paid: Decimal
    interest_due_total: Decimal
    interest_paid: Decimal
    principal_outstanding: Decimal
    interest_outstanding: Decimal
    total_outstanding: Decimal


def loan_balance(loan: Loan) -> LoanBalance:
    """The loan's balance from the ledger and its schedule, as committed now. One query.

    Before disbursement everything is 0.
    """
    values = annotate_balances(Loan.objects.filter(pk=loan.pk)).values(*BALANCE_FIELDS).get()
    return LoanBalance(**values)


def instalment_allocation(loan: Loan) -> list[schedule.InstalmentPaid]:
    """Each instalment with the principal and interest the ledger has paid on it, in due order.

    Paid principal and paid interest are allocated to the oldest instalment first (see
    schedule.allocate_paid). Two queries: the balance and the instalments.
    """
    balance = loan_balance(loan)
    return schedule.allocate_paid(
        loan.instalments.all(), principal_paid=balance.principal_paid, interest_paid=balance.interest_paid
    )


def _days_past_due_of_annotated(loan: Loan, instalments: Iterable[Instalment], as_of: datetime.date) -> int:
    allocation = schedule.allocate_paid(
        instalments, principal_paid=loan.principal_paid, interest_paid=loan.interest_paid
    )
    return schedule.days_past_due(allocation, tolerance=loan.arrears_tolerance or ZERO, as_of=as_of)


def days_past_due(loan: Loan, as_of: datetime.date) -> int:
    """Days between `as_of` and the due date of the oldest instalment unpaid beyond the arrears tolerance.

    0 when nothing is overdue, and for loans without a schedule (not disbursed). Two queries.
    """
    annotated = annotate_balances(Loan.objects.filter(pk=loan.pk)).get()
    return _days_past_due_of_annotated(annotated, Instalment.objects.filter(loan=loan), as_of)


def _active_loans_with_schedule(queryset: QuerySet[Loan] | None) -> QuerySet[Loan]:
    if queryset is None:
        queryset = Loan.objects.all()
    return annotate_balances(queryset.filter(status=LoanStatus.ACTIVE)).prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number"))
    )


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def portfolio_at_risk_report(
    as_of: datetime.date, days: Iterable[int] = PAR_DAYS, queryset: QuerySet[Loan] | None = None
) -> dict[int, Decimal]:
    """PAR for several thresholds at once, e.g. {1: PAR1, 30: PAR30, 90: PAR90}. Two queries in all.

    PAR<N> = outstanding principal of active loans more than N days past due / outstanding principal of
    all active loans. The whole outstanding principal of a late loan counts, not only its late part.
    Ratios are Decimal fractions (0.1250 = 12.5 %), 4 places, ROUND_HALF_UP; 0 for an empty portfolio.
    `queryset` narrows the portfolio (a region, a program); only its active loans are counted.
    """
    thresholds = tuple(days)
    total = ZERO
    at_risk = dict.fromkeys(thresholds, ZERO)
    # Query 1: active loans with their ledger sums; query 2: their instalments (prefetch).
    for loan in _active_loans_with_schedule(queryset):
        outstanding = loan.principal_outstanding
        total += outstanding
        late_days = _days_past_due_of_annotated(loan, loan.instalments.all(), as_of)
        for threshold in thresholds:
            if late_days > threshold:
                at_risk[threshold] += outstanding
    return {threshold: _ratio(at_risk[threshold], total) for threshold in thresholds}


def portfolio_at_risk(as_of: datetime.date, days: int = 30, queryset: QuerySet[Loan] | None = None) -> Decimal:
    """PAR<days> as a Decimal fraction (see portfolio_at_risk_report). Two queries."""
    return portfolio_at_risk_report(as_of, days=(days,), queryset=queryset)[days]
