"""A member's statement of account: every loan with its lines, its schedule with what has been paid on each row,
its charges and transactions (reversals paired with what they reverse), its balance and its days past due."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from credit import schedule
from credit.models import CHARGE_KINDS, Instalment, Loan, LoanCharge, LoanLine, LoanStatus, LoanTransaction
from credit.selectors.balances import ZERO, allocate, annotate_balances
from members.models import Member


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
        allocation = allocate(loan, loan.instalments.all(), in_force)
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
