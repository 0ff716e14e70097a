"""Reads for input credit: balances from the ledger, instalment allocation, days past due, portfolio at risk,
the portfolio report and the member statement.

Balances are never stored: they are sums of the ledger. A reducing transaction (repayment, harvest
deduction, waiver, write-off) that has been reversed counts zero, and the reversal entry itself is not
summed, so the pair cancels out; charges (fees, penalties) follow the same rule. Interest owed is the
interest of the schedule.

As of a date D: only transactions and charges dated (occurred_on) on or before D count, and a reversal
dated after D does not cancel its original yet. The schedule counts whole once the loan is disbursed.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext as _

from cooperative.models import Region
from credit import schedule
from credit.models import (
    CHARGE_KINDS,
    REDUCING_KINDS,
    ChargeKind,
    Instalment,
    Loan,
    LoanCharge,
    LoanLine,
    LoanStatus,
    LoanTransaction,
    TransactionKind,
)
from members.models import Member

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
PAR_DAYS = (1, 30, 90)
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


def _in_force(queryset: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """Rows of a ledger (transactions or charges) that count: not reversed, or, as of a date, dated by then and
    not reversed by then."""
    if as_of is None:
        return queryset.filter(reversed_by__isnull=True)
    return queryset.filter(occurred_on__lte=as_of).filter(
        Q(reversed_by__isnull=True) | Q(reversed_by__occurred_on__gt=as_of)
    )


def charges_in_force(as_of: datetime.date | None = None) -> QuerySet[LoanCharge]:
    """Fees and penalties that count (now, or as of a date), by due date."""
    return _in_force(LoanCharge.objects.filter(kind__in=CHARGE_KINDS), as_of).order_by("due_on", "id")


def _outstanding(*names: str) -> Round:
    """Σ due - Σ paid of the named components, rounded to céntimos in SQL: SQLite sums decimals in floating
    point, and a paid-off loan must compare equal to zero there too (PostgreSQL's numeric is exact anyway)."""
    expression = None
    for name in names:
        due = "principal_disbursed" if name == "principal" else f"{name}_due_total"
        term = F(due) - F(f"{name}_paid")
        expression = term if expression is None else expression + term
    return Round(expression, 2, output_field=_money())


def annotate_balances(queryset: QuerySet[Loan], *, as_of: datetime.date | None = None) -> QuerySet[Loan]:
    """Annotate each loan with its balance, computed in the same single query (correlated subqueries).

    Annotations (Decimal, S/): principal_disbursed, principal_paid, interest_due_total, interest_paid,
    fee_due_total, fee_paid, penalty_due_total, penalty_paid, principal_outstanding, interest_outstanding,
    fee_outstanding, penalty_outstanding, total_outstanding. With `as_of`, the balance on that date (module
    docstring); the interest of the schedule counts whole once the loan is disbursed.
    """
    disbursements = LoanTransaction.objects.filter(kind=TransactionKind.DISBURSEMENT)
    if as_of is not None:
        disbursements = disbursements.filter(occurred_on__lte=as_of)
    reductions = _in_force(LoanTransaction.objects.filter(kind__in=REDUCING_KINDS), as_of)
    charges = _in_force(LoanCharge.objects.filter(kind__in=CHARGE_KINDS), as_of)
    return queryset.annotate(
        principal_disbursed=_sum_per_loan(disbursements, "principal_portion"),
        principal_paid=_sum_per_loan(reductions, "principal_portion"),
        interest_due_total=_sum_per_loan(Instalment.objects.all(), "interest_due"),
        interest_paid=_sum_per_loan(reductions, "interest_portion"),
        fee_due_total=_sum_per_loan(charges.filter(kind=ChargeKind.FEE), "amount"),
        fee_paid=_sum_per_loan(reductions, "fee_portion"),
        penalty_due_total=_sum_per_loan(charges.filter(kind=ChargeKind.PENALTY), "amount"),
        penalty_paid=_sum_per_loan(reductions, "penalty_portion"),
    ).annotate(
        principal_outstanding=_outstanding("principal"),
        interest_outstanding=_outstanding("interest"),
        fee_outstanding=_outstanding("fee"),
        penalty_outstanding=_outstanding("penalty"),
        total_outstanding=_outstanding("principal", "interest", "fee", "penalty"),
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
    loans = annotate_balances(Loan.objects.filter(pk=loan.pk), as_of=as_of).annotate(has_charges=_has_charges(as_of))
    return LoanBalance(**loans.values(*BALANCE_FIELDS, "has_charges").get())


def _allocate(loan: Loan, instalments: Iterable[Instalment], charges: Iterable[LoanCharge]) -> list:
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
    return _allocate(balance, loan.instalments.all(), charges)


def instalment_allocation(loan: Loan) -> list[schedule.InstalmentPaid]:
    """Each schedule row (instalment with its charges, then charges due after the last instalment) with what
    the ledger has paid on it, in due order (see schedule.allocate_paid). Two queries (the balance, the
    instalments), three when the loan has fees or penalties (the charges).
    """
    return allocation_of_balance(loan, loan_balance(loan))


def _days_past_due_of_annotated(
    loan: Loan, instalments: Iterable[Instalment], as_of: datetime.date, charges: Iterable[LoanCharge] = ()
) -> int:
    """Days past due of a loan annotated by annotate_balances. Without `charges`, fees and penalties make no
    instalment late (callers that have not loaded them, e.g. the partner API)."""
    allocation = _allocate(loan, instalments, charges)
    return schedule.days_past_due(allocation, tolerance=loan.arrears_tolerance or ZERO, as_of=as_of)


def days_past_due(loan: Loan, as_of: datetime.date) -> int:
    """Days between `as_of` and the due date of the oldest instalment (with its charges) unpaid beyond the
    arrears tolerance, counting only the ledger and charges dated by `as_of`.

    0 when nothing is overdue, and for loans without a schedule (not disbursed). Two queries (the balance,
    the instalments), three when the loan has fees or penalties (the charges).
    """
    annotated = annotate_balances(Loan.objects.filter(pk=loan.pk), as_of=as_of)
    annotated = annotated.annotate(has_charges=_has_charges(as_of)).get()
    charges = charges_in_force(as_of).filter(loan=loan) if annotated.has_charges else ()
    return _days_past_due_of_annotated(annotated, Instalment.objects.filter(loan=loan), as_of, charges)


def loan_oldest_unpaid_due_on(loan: Loan) -> datetime.date | None:
    """What Loan.oldest_unpaid_due_on should hold, from every ledger row and charge recorded: the due date of
    the oldest row unpaid beyond the arrears tolerance. Two queries, three when the loan has charges."""
    annotated = annotate_balances(Loan.objects.filter(pk=loan.pk)).annotate(has_charges=_has_charges(None)).get()
    charges = charges_in_force(None).filter(loan=loan) if annotated.has_charges else ()
    instalments = Instalment.objects.filter(loan=loan).order_by("due_on", "number")
    allocation = _allocate(annotated, instalments, charges)
    return schedule.oldest_unpaid_due_on(allocation, tolerance=annotated.arrears_tolerance or ZERO)


def _has_charges(as_of: datetime.date | None) -> Exists:
    """Whether the outer loan has fees or penalties in force (now, or as of a date): lets a caller skip the
    charges query when no loan it read has any."""
    return Exists(_in_force(LoanCharge.objects.filter(loan=OuterRef("pk"), kind__in=CHARGE_KINDS), as_of))


def _charges_by_loan(loans: Iterable[Loan], as_of: datetime.date | None) -> dict[int, list[LoanCharge]]:
    """The charges in force of the loans annotated with `has_charges`, by loan id. One query, none when no
    loan has any."""
    ids = [loan.pk for loan in loans if loan.has_charges]
    by_loan: dict[int, list[LoanCharge]] = defaultdict(list)
    if ids:
        for charge in charges_in_force(as_of).filter(loan_id__in=ids):
            by_loan[charge.loan_id].append(charge)
    return by_loan


def _with_schedule(queryset: QuerySet[Loan]) -> QuerySet[Loan]:
    return queryset.prefetch_related(Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number")))


def par_ratio(part: Decimal, whole: Decimal) -> Decimal:
    """`part` / `whole` as a Decimal fraction with 4 places (ROUND_HALF_UP); 0 when `whole` is 0."""
    if whole <= 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def portfolio_at_risk_report(
    as_of: datetime.date, days: Iterable[int] = PAR_DAYS, queryset: QuerySet[Loan] | None = None
) -> dict[int, Decimal]:
    """PAR for several thresholds at once, e.g. {1: PAR1, 30: PAR30, 90: PAR90}, over the loans active now.

    PAR<N> = outstanding principal of active loans more than N days past due / outstanding principal of
    all active loans. The whole outstanding principal of a late loan counts, not only its late part.
    Ratios are Decimal fractions (0.1250 = 12.5 %), 4 places, ROUND_HALF_UP; 0 for an empty portfolio.
    `queryset` narrows the portfolio (a region, a program); only its active loans are counted. For the
    portfolio on a past date, by region, program or product, see portfolio_report.

    Two queries (active loans with their ledger sums, their instalments), three when some of them have fees
    or penalties (their charges).
    """
    if queryset is None:
        queryset = Loan.objects.all()
    thresholds = tuple(days)
    total = ZERO
    at_risk = dict.fromkeys(thresholds, ZERO)
    loans = list(
        _with_schedule(
            annotate_balances(queryset.filter(status=LoanStatus.ACTIVE)).annotate(has_charges=_has_charges(None))
        )
    )
    charges = _charges_by_loan(loans, None)
    for loan in loans:
        outstanding = loan.principal_outstanding
        total += outstanding
        late_days = _days_past_due_of_annotated(loan, loan.instalments.all(), as_of, charges.get(loan.pk, ()))
        for threshold in thresholds:
            if late_days > threshold:
                at_risk[threshold] += outstanding
    return {threshold: par_ratio(at_risk[threshold], total) for threshold in thresholds}


def portfolio_at_risk(as_of: datetime.date, days: int = 30, queryset: QuerySet[Loan] | None = None) -> Decimal:
    """PAR<days> as a Decimal fraction (see portfolio_at_risk_report). Two or three queries."""
    return portfolio_at_risk_report(as_of, days=(days,), queryset=queryset)[days]


# -- portfolio report --------------------------------------------------------------------------------------

GROUP_BY_REGION = "region"
GROUP_BY_PROGRAM = "program"
GROUP_BY_PRODUCT = "product"
GROUP_BY = (GROUP_BY_REGION, GROUP_BY_PROGRAM, GROUP_BY_PRODUCT)
# What each grouping joins to label its groups.
_GROUP_RELATION = {GROUP_BY_REGION: "member__region", GROUP_BY_PROGRAM: "program", GROUP_BY_PRODUCT: "product"}


@dataclass
class PortfolioRow:
    """One group of the portfolio report (or its total): loans outstanding on the date and their risk.

    `at_risk` maps N (1, 30, 90) to the outstanding principal of the group's loans more than N days past due.
    """

    label: str
    loans: int = 0
    principal_outstanding: Decimal = ZERO
    total_outstanding: Decimal = ZERO
    at_risk: dict[int, Decimal] = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, ZERO))

    def add(self, loan: Loan, late_days: int) -> None:
        self.loans += 1
        self.principal_outstanding += loan.principal_outstanding
        self.total_outstanding += loan.total_outstanding
        for threshold in self.at_risk:
            if late_days > threshold:
                self.at_risk[threshold] += loan.principal_outstanding

    def par(self, days: int) -> Decimal:
        """PAR<days>: a Decimal fraction, 4 places, ROUND_HALF_UP (0.1250 = 12.5 %); 0 without principal."""
        return par_ratio(self.at_risk[days], self.principal_outstanding)

    @property
    def par_percents(self) -> list[Decimal]:
        """PAR1, PAR30, PAR90 (the order of PAR_DAYS) in percent with 2 places: 12.50 = 12.5 %."""
        return [(self.par(days) * 100).quantize(CENT) for days in self.at_risk]

    @property
    def par1(self) -> Decimal:
        return self.par(1)

    @property
    def par30(self) -> Decimal:
        return self.par(30)

    @property
    def par90(self) -> Decimal:
        return self.par(90)


@dataclass(frozen=True)
class PortfolioReport:
    as_of: datetime.date
    group_by: str
    rows: list[PortfolioRow]
    total: PortfolioRow


def _group_of(loan: Loan, group_by: str) -> tuple[tuple, str]:
    """(sort key, label) of the loan's group; loans without a program come last."""
    if group_by == GROUP_BY_REGION:
        label = loan.member.region.name
    elif group_by == GROUP_BY_PRODUCT:
        label = loan.product.name
    elif loan.program is None:
        return (1, ""), _("No program")
    else:
        label = f"{loan.program.code} – {loan.program.name}"
    return (0, label.casefold()), label


def portfolio_report(
    *, as_of: datetime.date, regions: QuerySet[Region] | Iterable[Region], group_by: str
) -> PortfolioReport:
    """The credit portfolio of the members of `regions` on `as_of`, grouped by region, program or product,
    with a total: loans, outstanding principal, total outstanding (principal, interest, fees, penalties),
    and PAR1, PAR30, PAR90.

    The portfolio on a date: loans disbursed by then with something outstanding then, i.e. neither repaid
    in full nor written off by then (a loan closed or written off later still counts on earlier dates).
    Balances and days past due read only the transactions and charges dated by `as_of`; a reversal dated
    later does not cancel its original yet. PAR<N> = outstanding principal of the loans more than N days
    past due / outstanding principal of all of them: the whole outstanding principal of a late loan counts.

    Cost: two queries, three when some loan has fees or penalties, whatever the number of loans: the loans
    with their balances on the date (correlated subqueries) and the grouping's relation joined; their
    instalments; their charges. Then one pass in Python over each loan's schedule for days past due.
    `regions` may be a lazy queryset, which stays a subquery. Raises ValueError for an unknown `group_by`.
    """
    if group_by not in GROUP_BY:
        raise ValueError(f"unknown grouping {group_by!r}")
    queryset = (
        annotate_balances(Loan.objects.filter(member__region__in=regions, disbursed_on__lte=as_of), as_of=as_of)
        .annotate(has_charges=_has_charges(as_of))
        .filter(total_outstanding__gt=0)
        .select_related(_GROUP_RELATION[group_by])
        .order_by()
    )
    loans = list(_with_schedule(queryset))
    charges = _charges_by_loan(loans, as_of)
    groups: dict[tuple, PortfolioRow] = {}
    total = PortfolioRow(label=_("Total"))
    for loan in loans:
        late_days = _days_past_due_of_annotated(loan, loan.instalments.all(), as_of, charges.get(loan.pk, ()))
        key, label = _group_of(loan, group_by)
        groups.setdefault(key, PortfolioRow(label=label)).add(loan, late_days)
        total.add(loan, late_days)
    return PortfolioReport(as_of=as_of, group_by=group_by, rows=[groups[key] for key in sorted(groups)], total=total)


# -- member statement --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """A transaction or charge of a statement, with the entry that reversed it (None while in force) and, for
    a reversal, the entry it reverses."""

    entry: LoanTransaction | LoanCharge
    reversed_by: LoanTransaction | LoanCharge | None = None
    reverses: LoanTransaction | LoanCharge | None = None

    @property
    def is_reversal(self) -> bool:
        return self.reverses is not None


@dataclass(frozen=True)
class LoanStatement:
    """One loan of a member statement: `loan` carries the balance annotations (annotate_balances)."""

    loan: Loan
    lines: list[LoanLine]
    schedule: list[schedule.InstalmentPaid]
    charges: list[LedgerEntry]
    transactions: list[LedgerEntry]
    days_past_due: int

    @property
    def schedule_totals(self) -> dict[str, Decimal]:
        """The sums of the schedule's columns: principal_due, interest_due, charges_due, total_due, total_paid,
        total_unpaid."""
        columns = ("principal_due", "interest_due", "charges_due", "total_due", "total_paid", "total_unpaid")
        return {column: sum((getattr(row, column) for row in self.schedule), ZERO) for column in columns}


@dataclass(frozen=True)
class MemberStatement:
    member: Member
    as_of: datetime.date
    loans: list[LoanStatement]

    @property
    def total_outstanding(self) -> Decimal:
        return sum((statement.loan.total_outstanding for statement in self.loans), ZERO)


def _with_reversals(entries: Iterable) -> list[LedgerEntry]:
    """Ledger entries in order, each paired with its reversal, and each reversal with its original (both found
    among `entries`, so no query)."""
    entries = list(entries)
    by_pk = {entry.pk: entry for entry in entries}
    reversal_of = {entry.reverses_id: entry for entry in entries if entry.reverses_id is not None}
    return [LedgerEntry(entry, reversal_of.get(entry.pk), by_pk.get(entry.reverses_id)) for entry in entries]


# Loans a statement leaves out: they never owed anything.
STATEMENT_EXCLUDED_STATUSES = (LoanStatus.REJECTED, LoanStatus.WITHDRAWN)


def member_statement(*, member: Member, as_of: datetime.date) -> MemberStatement:
    """The member's statement of account on `as_of` (normally today): every loan but the rejected and
    withdrawn ones, newest first, with its lines, its schedule with what has been paid on each row (charges
    included), its charges and transactions (reversals paired with what they reverse), its balance and its
    days past due. Balances are the ledger as committed now.

    Five queries, however many loans, lines, instalments, charges and transactions: the loans with their
    balances (product and program joined), their lines with the items, instalments, charges, transactions.
    """
    transactions = LoanTransaction.objects.order_by("occurred_on", "id")
    loans = (
        annotate_balances(Loan.objects.filter(member=member).exclude(status__in=STATEMENT_EXCLUDED_STATUSES))
        .select_related("product", "program")
        .prefetch_related(
            Prefetch("lines", queryset=LoanLine.objects.select_related("item").order_by("id")),
            Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number")),
            Prefetch("charges", queryset=LoanCharge.objects.order_by("occurred_on", "id")),
            Prefetch("transactions", queryset=transactions),
        )
        .order_by("-submitted_on", "-id")
    )
    statements = []
    for loan in loans:
        charges = _with_reversals(loan.charges.all())
        in_force = [line.entry for line in charges if line.entry.kind in CHARGE_KINDS and line.reversed_by is None]
        allocation = _allocate(loan, loan.instalments.all(), in_force)
        statements.append(
            LoanStatement(
                loan=loan,
                lines=list(loan.lines.all()),
                schedule=allocation,
                charges=charges,
                transactions=_with_reversals(loan.transactions.all()),
                days_past_due=schedule.days_past_due(allocation, tolerance=loan.arrears_tolerance or ZERO, as_of=as_of),
            )
        )
    return MemberStatement(member=member, as_of=as_of, loans=statements)
