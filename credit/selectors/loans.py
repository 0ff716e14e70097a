"""Reads for the loan pages: the loans and transactions in a user's credit regions, the list's rows, the detail
page's loan with its lines, ledger and status history, and the approvals queue.

Scope: a user sees the loans whose member is in a region their credit roles (manager, credit officer) cover;
the member's region decides. Each reader is lazy and states its cost.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from cooperative.access import CREDIT_ROLES
from cooperative.selectors import regions_in_scope
from credit.models import Loan, LoanCharge, LoanLine, LoanStatus, LoanTransaction
from credit.selectors.arrears import days_past_due_on_record, is_past_due_q
from credit.selectors.balances import annotate_balances


def loans_in_scope(user: AbstractBaseUser) -> QuerySet[Loan]:
    """Loans whose member is in the user's credit regions. One query (the scope check); lazy."""
    return Loan.objects.filter(member__region__in=regions_in_scope(user, CREDIT_ROLES))


def loans_for_list(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """The rows of the loan list: `loans` with member, region, product and program joined; the balances are
    the ones stored on each loan (Loan.outstanding_*) and the days past due come from
    Loan.oldest_unpaid_due_on (set_days_past_due_on_record), both kept equal to the ledger by the credit
    services. One query, whatever the number of loans."""
    return loans.select_related("member__region", "product", "program")


def overdue_on_record(loans: QuerySet[Loan], as_of: datetime.date) -> QuerySet[Loan]:
    """The active loans of `loans` more than 0 days past due on `as_of`, by Loan.oldest_unpaid_due_on
    (is_past_due_q: what overdue_loans finds by replaying the ledger as committed now). Lazy, no query."""
    return loans.filter(is_past_due_q(as_of=as_of, more_than=0), status=LoanStatus.ACTIVE)


def set_days_past_due_on_record(loans: Iterable[Loan], as_of: datetime.date) -> None:
    """Set `days_past_due` on each active loan (None on the others) from Loan.oldest_unpaid_due_on. No
    query."""
    for loan in loans:
        loan.days_past_due = days_past_due_on_record(loan, as_of) if loan.status == LoanStatus.ACTIVE else None


def loans_for_detail(user: AbstractBaseUser) -> QuerySet[Loan]:
    """Loans in the user's credit regions with their balances annotated and member, region, product, program
    and the users who applied and approved joined: the loan page's loan in one query (after the scope
    check)."""
    return annotate_balances(loans_in_scope(user)).select_related(
        "member__region", "product", "program", "submitted_by", "approved_by"
    )


def loans_for_action(user: AbstractBaseUser) -> QuerySet[Loan]:
    """Loans in the user's credit regions with member and product joined, for the life-cycle action pages."""
    return loans_in_scope(user).select_related("member", "product")


def loans_awaiting_approval(user: AbstractBaseUser) -> QuerySet[Loan]:
    """Submitted loans in the user's credit regions, oldest first, member, region, product, program and
    applicant joined. One query for the rows (after the scope check)."""
    return (
        loans_in_scope(user)
        .filter(status=LoanStatus.SUBMITTED)
        .select_related("member__region", "product", "program", "submitted_by")
        .order_by("submitted_on", "id")
    )


def transactions_for_reversal(user: AbstractBaseUser) -> QuerySet[LoanTransaction]:
    """Transactions of the loans in the user's credit regions, with the loan's member and product and the
    reversal (if any) joined, for the reversal page."""
    return LoanTransaction.objects.filter(loan__in=loans_in_scope(user)).select_related(
        "loan__member", "loan__product", "reversed_by"
    )


def loan_lines(loan: Loan) -> QuerySet[LoanLine]:
    """The loan's lines in order, items joined. One query."""
    return loan.lines.select_related("item").order_by("id")


def loan_transactions(loan: Loan) -> QuerySet[LoanTransaction]:
    """The loan's ledger by date, with who recorded each entry and the entry it reverses or that reversed it
    joined. One query."""
    return loan.transactions.select_related("recorded_by", "reverses", "reversed_by").order_by("occurred_on", "id")


def loan_charges(loan: Loan) -> QuerySet[LoanCharge]:
    """The loan's fees and penalties (and their reversals) by due date, with who recorded each and the
    reversal pair joined. One query."""
    return loan.charges.select_related("recorded_by", "reverses", "reversed_by").order_by("due_on", "id")


def loan_status_changes(loan: Loan) -> list:
    """The loan's historical records where its status changed, oldest first, with the user and the reason
    given (rejections, withdrawals, write-offs and reversals keep it there). One query."""
    changes, previous = [], None
    for record in loan.history.select_related("history_user").order_by("history_date", "history_id"):
        if record.status != previous:
            changes.append(record)
            previous = record.status
    return changes
