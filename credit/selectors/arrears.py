"""Days past due and late loans.

One rule wherever a loan is called late. A loan is N days past due on a date D when the oldest row of its
schedule (an instalment with the fees and penalties owed with it, or a charge due after the last instalment)
still unpaid beyond the arrears tolerance fell due N days before D (credit.schedule.days_past_due: a row due
on D is not yet late). It is late for PAR<N>, for the dashboard's "loans more than 30 days past due" and
for the loan list's overdue filter (N = 0) when it is MORE than N days past due (is_past_due): a loan exactly
30 days past due is not in PAR30. Pages that can replay the schedule read the days from the ledger
(days_past_due, set_days_past_due, the portfolio); the dashboard and the partner API read them from
Loan.oldest_unpaid_due_on, which the credit services keep in step with the ledger (is_past_due_q,
days_past_due_on_record).
"""

import datetime
from collections.abc import Iterable
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from credit import schedule
from credit.models import Instalment, Loan, LoanCharge, LoanStatus
from credit.selectors.balances import ZERO, allocate, annotate_balances, balance_sums, charges_in_force, has_charges


def is_past_due(days: int, *, more_than: int) -> bool:
    """Whether a loan `days` days past due is late for a threshold of `more_than` days (the module docstring):
    more than `more_than` days past due, so a loan exactly `more_than` days past due is not."""
    return days > more_than


def is_past_due_q(*, as_of: datetime.date, more_than: int) -> Q:
    """is_past_due in SQL, on Loan.oldest_unpaid_due_on: days_past_due_on_record > `more_than` exactly when
    the oldest unpaid row fell due before `as_of` minus `more_than` days. A condition on loans, for a filter or
    an aggregate's `filter=`; whether the loan is active is the caller's condition."""
    return Q(oldest_unpaid_due_on__lt=as_of - datetime.timedelta(days=more_than))


def days_past_due_on_record(loan: Loan, as_of: datetime.date) -> int:
    """Days past due of the loan on `as_of` from Loan.oldest_unpaid_due_on (the ledger as committed now): what
    days_past_due gives for the same ledger, without a query. 0 for a loan that is not active."""
    if loan.status != LoanStatus.ACTIVE:
        return 0
    return schedule.days_since_due(loan.oldest_unpaid_due_on, as_of)


def days_past_due_of_annotated(
    loan: Loan, instalments: Iterable[Instalment], as_of: datetime.date, charges: Iterable[LoanCharge] = ()
) -> int:
    """Days past due of a loan annotated by annotate_balances. Without `charges`, fees and penalties make no
    instalment late."""
    allocation = allocate(loan, instalments, charges)
    return schedule.days_past_due(allocation, tolerance=loan.arrears_tolerance or ZERO, as_of=as_of)


def days_past_due(loan: Loan, as_of: datetime.date) -> int:
    """Days between `as_of` and the due date of the oldest instalment (with its charges) unpaid beyond the
    arrears tolerance, counting only the ledger and charges dated by `as_of`.

    0 when nothing is overdue, and for loans without a schedule (not disbursed). Two queries (the balance,
    the instalments), three when the loan has fees or penalties (the charges).
    """
    annotated = annotate_balances(Loan.objects.filter(pk=loan.pk), as_of=as_of)
    annotated = annotated.annotate(has_charges=has_charges(as_of)).get()
    charges = charges_in_force(as_of).filter(loan=loan) if annotated.has_charges else ()
    return days_past_due_of_annotated(annotated, Instalment.objects.filter(loan=loan), as_of, charges)


def with_schedule_and_charges(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """`loans` with their instalments in due order and their fees and penalties in force (`charges_in_force`,
    a list) prefetched, for set_days_past_due: two queries, whatever the number of loans."""
    return loans.prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("due_on", "number")),
        Prefetch("charges", queryset=charges_in_force(), to_attr="charges_in_force"),
    )


def set_days_past_due(loans: Iterable[Loan], as_of: datetime.date) -> None:
    """Set `days_past_due` on each active loan (None on the others), from the balances its annotations read.
    The loans carry the annotations of annotate_balances and the prefetches of with_schedule_and_charges: no
    query."""
    for loan in loans:
        loan.days_past_due = (
            days_past_due_of_annotated(loan, loan.instalments.all(), as_of, loan.charges_in_force)
            if loan.status == LoanStatus.ACTIVE
            else None
        )


def overdue_loans(loans: QuerySet[Loan], as_of: datetime.date) -> QuerySet[Loan]:
    """The loans of `loans` more than 0 days past due on `as_of` (lazy, filtered by primary key).

    Days past due follow the schedule, the charges, the ledger and the arrears tolerance, which SQL alone
    cannot replay, so the active loans with an instalment or charge due before `as_of` are read with their
    balances and schedules and checked here. Three queries, however many loans.
    """
    something_due = Exists(Instalment.objects.filter(loan=OuterRef("pk"), due_on__lt=as_of)) | Exists(
        charges_in_force().filter(loan=OuterRef("pk"), due_on__lt=as_of)
    )
    candidates = with_schedule_and_charges(
        annotate_balances(loans.filter(something_due, status=LoanStatus.ACTIVE).order_by())
    )
    set_days_past_due(candidates, as_of)
    late = [loan.pk for loan in candidates if is_past_due(loan.days_past_due, more_than=0)]
    return loans.filter(pk__in=late)


def loan_oldest_unpaid_due_on(loan: Loan) -> datetime.date | None:
    """What Loan.oldest_unpaid_due_on should hold, from every ledger row and charge recorded: the due date of
    the oldest row unpaid beyond the arrears tolerance. Two queries, three when the loan has charges."""
    # Only the columns it needs: migration 0005 calls it on a table without the later columns of Loan.
    sums = balance_sums()
    annotated = SimpleNamespace(
        **Loan.objects.filter(pk=loan.pk)
        .annotate(**sums, has_charges=has_charges(None))
        .values(*sums, "has_charges", "arrears_tolerance")
        .get()
    )
    charges = charges_in_force(None).filter(loan_id=loan.pk) if annotated.has_charges else ()
    instalments = Instalment.objects.filter(loan_id=loan.pk).order_by("due_on", "number")
    return oldest_unpaid_due_on_of_annotated(annotated, instalments, charges)


def oldest_unpaid_due_on_of_annotated(
    loan: Loan, instalments: Iterable[schedule.ScheduledInstalment], charges: Iterable[schedule.ScheduledCharge] = ()
) -> datetime.date | None:
    """What Loan.oldest_unpaid_due_on should hold for a loan carrying the paid sums of annotate_balances (or
    balance_sums) and its arrears_tolerance, given its schedule in due order and its charges in force. No
    query."""
    allocation = allocate(loan, instalments, charges)
    return schedule.oldest_unpaid_due_on(allocation, tolerance=loan.arrears_tolerance or ZERO)
