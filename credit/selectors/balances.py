"""Loan balances from the ledger: the balance annotations (one query however many loans), a loan's balance,
and the balance spread over the schedule (instalment allocation).

Balances are sums of the ledger (the balance now is also kept on each loan, in step with the ledger:
credit.read_models). A reducing transaction (repayment, harvest
deduction, waiver, write-off) that has been reversed counts zero, and the reversal entry itself is not
summed, so the pair cancels out; charges (fees, penalties) follow the same rule. Interest owed is the
interest of the schedule.

As of a date D: only transactions and charges dated (occurred_on) on or before D count, and a reversal
dated after D does not cancel its original yet. The schedule counts whole once the loan is disbursed.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from credit import schedule
from credit.models import (
    CHARGE_KINDS,
    REDUCING_KINDS,
    ChargeKind,
    Instalment,
    Loan,
    LoanCharge,
    LoanTransaction,
    TransactionKind,
)

ZERO = Decimal("0.00")
BALANCE_FIELDS = (
    "principal_disbursed",
    "principal_paid",
    "interest_due_total",
    "interest_paid",
    "fee_due_total",
    "fee_paid",
    "penalty_due_total",
    "penalty_paid",
    "principal_outstanding",
    "interest_outstanding",
    "fee_outstanding",
    "penalty_outstanding",
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


def in_force(queryset: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """Rows of a ledger (transactions or charges) that count: not reversed, or, as of a date, dated by then and
    not reversed by then."""
    if as_of is None:
        return queryset.filter(reversed_by__isnull=True)
    return queryset.filter(occurred_on__lte=as_of).filter(
        Q(reversed_by__isnull=True) | Q(reversed_by__occurred_on__gt=as_of)
    )


def charges_in_force(as_of: datetime.date | None = None) -> QuerySet[LoanCharge]:
    """Fees and penalties that count (now, or as of a date), by due date."""
    return in_force(LoanCharge.objects.filter(kind__in=CHARGE_KINDS), as_of).order_by("due_on", "id")


def _outstanding(*names: str, sums: dict | None = None) -> Round:
    """Σ due - Σ paid of the named components, rounded to céntimos in SQL: SQLite sums decimals in floating
    point, and a paid-off loan must compare equal to zero there too (PostgreSQL's numeric is exact anyway).
    The sums are the annotations of the same names (F), or, with `sums`, the expressions of balance_sums."""

    def term(name: str):
        return F(name) if sums is None else sums[name]

    expression = None
    for name in names:
        due = "principal_disbursed" if name == "principal" else f"{name}_due_total"
        difference = term(due) - term(f"{name}_paid")
        expression = difference if expression is None else expression + difference
    return Round(expression, 2, output_field=_money())


def balance_sums(*, as_of: datetime.date | None = None) -> dict[str, Coalesce]:
    """The eight sums a balance is made of (principal_disbursed, principal_paid, interest_due_total,
    interest_paid, fee_due_total, fee_paid, penalty_due_total, penalty_paid), each a correlated subquery on the
    outer loan, now or as of a date (module docstring)."""
    disbursements = LoanTransaction.objects.filter(kind=TransactionKind.DISBURSEMENT)
    if as_of is not None:
        disbursements = disbursements.filter(occurred_on__lte=as_of)
    reductions = in_force(LoanTransaction.objects.filter(kind__in=REDUCING_KINDS), as_of)
    charges = in_force(LoanCharge.objects.filter(kind__in=CHARGE_KINDS), as_of)
    return {
        "principal_disbursed": _sum_per_loan(disbursements, "principal_portion"),
        "principal_paid": _sum_per_loan(reductions, "principal_portion"),
        "interest_due_total": _sum_per_loan(Instalment.objects.all(), "interest_due"),
        "interest_paid": _sum_per_loan(reductions, "interest_portion"),
        "fee_due_total": _sum_per_loan(charges.filter(kind=ChargeKind.FEE), "amount"),
        "fee_paid": _sum_per_loan(reductions, "fee_portion"),
        "penalty_due_total": _sum_per_loan(charges.filter(kind=ChargeKind.PENALTY), "amount"),
        "penalty_paid": _sum_per_loan(reductions, "penalty_portion"),
    }


# The outstanding amounts of annotate_balances, by name, as the components they sum.
OUTSTANDING_COMPONENTS = {
    "principal_outstanding": ("principal",),
    "interest_outstanding": ("interest",),
    "fee_outstanding": ("fee",),
    "penalty_outstanding": ("penalty",),
    "total_outstanding": ("principal", "interest", "fee", "penalty"),
}


def outstanding_expressions() -> dict[str, Round]:
    """The five outstanding amounts of annotate_balances (now), by annotation name, as expressions that stand
    alone (they reference no other annotation), for an UPDATE of the stored balance (credit.read_models)."""
    sums = balance_sums()
    return {name: _outstanding(*components, sums=sums) for name, components in OUTSTANDING_COMPONENTS.items()}


def annotate_balances(queryset: QuerySet[Loan], *, as_of: datetime.date | None = None) -> QuerySet[Loan]:
    """Annotate each loan with its balance, computed in the same single query (correlated subqueries).

    Annotations (Decimal, S/): principal_disbursed, principal_paid, interest_due_total, interest_paid,
    fee_due_total, fee_paid, penalty_due_total, penalty_paid, principal_outstanding, interest_outstanding,
    fee_outstanding, penalty_outstanding, total_outstanding. With `as_of`, the balance on that date (module
    docstring); the interest of the schedule counts whole once the loan is disbursed. The balance now is also
    stored on each loan (Loan.outstanding_*, credit.read_models): lists and figures over many loans read those.
    """
    return queryset.annotate(**balance_sums(as_of=as_of)).annotate(
        **{name: _outstanding(*components) for name, components in OUTSTANDING_COMPONENTS.items()}
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
    fee_due_total: Decimal = ZERO
    fee_paid: Decimal = ZERO
    penalty_due_total: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    fee_outstanding: Decimal = ZERO
    penalty_outstanding: Decimal = ZERO
    # Whether fees or penalties are in force: when not, nobody needs to read the charges.
    has_charges: bool = False

    def outstanding(self, component: str) -> Decimal:
        return getattr(self, f"{component}_outstanding")


def loan_balance(loan: Loan, *, as_of: datetime.date | None = None) -> LoanBalance:
    """The loan's balance from the ledger, its charges and its schedule, as committed now (or as of a date).
    One query. Before disbursement everything is 0.
    """
    loans = annotate_balances(Loan.objects.filter(pk=loan.pk), as_of=as_of).annotate(has_charges=has_charges(as_of))
    return LoanBalance(**loans.values(*BALANCE_FIELDS, "has_charges").get())


def allocate(loan: Loan, instalments: Iterable[Instalment], charges: Iterable[LoanCharge]) -> list:
    """schedule.allocate_paid for a loan annotated by annotate_balances (or a LoanBalance)."""
    return schedule.allocate_paid(
        instalments,
        principal_paid=loan.principal_paid,
        interest_paid=loan.interest_paid,
        fee_paid=getattr(loan, "fee_paid", ZERO),
        penalty_paid=getattr(loan, "penalty_paid", ZERO),
        charges=charges,
    )


def allocation_of_balance(loan: Loan, balance: LoanBalance) -> list[schedule.InstalmentPaid]:
    """`balance` (read by loan_balance now) spread over the loan's schedule and charges in force. One query
    (the instalments), two when the loan has fees or penalties (the charges)."""
    charges = charges_in_force().filter(loan=loan) if balance.has_charges else ()
    return allocate(balance, loan.instalments.all(), charges)


def instalment_allocation(loan: Loan) -> list[schedule.InstalmentPaid]:
    """Each schedule row (instalment with its charges, then charges due after the last instalment) with what
    the ledger has paid on it, in due order (see schedule.allocate_paid). Two queries (the balance, the
    instalments), three when the loan has fees or penalties (the charges).
    """
    return allocation_of_balance(loan, loan_balance(loan))


def has_charges(as_of: datetime.date | None) -> Exists:
    """Whether the outer loan has fees or penalties in force (now, or as of a date), for a `has_charges`
    annotation: lets a caller skip the charges query when no loan it read has any."""
    return Exists(in_force(LoanCharge.objects.filter(loan=OuterRef("pk"), kind__in=CHARGE_KINDS), as_of))


def charges_by_loan(loans: Iterable[Loan], as_of: datetime.date | None) -> dict[int, list[LoanCharge]]:
    """The charges in force of the loans annotated with `has_charges`, by loan id. One query, none when no
    loan has any."""
    ids = [loan.pk for loan in loans if loan.has_charges]
    by_loan: dict[int, list[LoanCharge]] = defaultdict(list)
    if ids:
        for charge in charges_in_force(as_of).filter(loan_id__in=ids):
            by_loan[charge.loan_id].append(charge)
    return by_loan


def with_schedule(queryset: QuerySet[Loan]) -> QuerySet[Loan]:
    """`queryset` with each loan's instalments prefetched in due order (one query, whatever the number of
    loans)."""
    return queryset.prefetch_related(Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number")))
