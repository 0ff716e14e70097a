"""Late loans at the thresholds: a loan is late for PAR<N> (and the loan list's overdue filter, N = 0) when it is
MORE than N days past due, so exactly 30 days past due is not in PAR30 and 31 days is; the same rule read from
Loan.oldest_unpaid_due_on (the dashboard, the partner API) agrees with the one read from the ledger.

The standard loan (tests/credit/conftest.py), nothing paid: its first instalment fell due on 15 February 2026,
so on FIRST_DUE_ON + N days it is N days past due.
"""

import datetime
from decimal import Decimal

import pytest

from cooperative.models import Region
from credit import selectors, services
from credit.models import Loan

pytestmark = pytest.mark.django_db

FIRST_DUE_ON = datetime.date(2026, 2, 15)
NONE = Decimal("0.0000")
ALL = Decimal("1.0000")


def days_late(days: int) -> datetime.date:
    return FIRST_DUE_ON + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("days", "par30", "par90"),
    [
        (30, NONE, NONE),  # exactly 30 days past due: not more than 30
        (31, ALL, NONE),
        (90, ALL, NONE),
        (91, ALL, ALL),
    ],
)
def test_par_counts_a_loan_more_than_n_days_past_due_and_not_one_exactly_n_days(active_loan, days, par30, par90):
    as_of = days_late(days)
    assert selectors.days_past_due(active_loan, as_of) == days

    assert selectors.portfolio_at_risk_report(as_of) == {1: ALL, 30: par30, 90: par90}
    assert selectors.portfolio_at_risk(as_of) == par30  # PAR30 unless told otherwise
    assert selectors.portfolio_at_risk(as_of, days=90) == par90
    report = selectors.portfolio_report(as_of=as_of, regions=Region.objects.all(), group_by=selectors.GROUP_BY_REGION)
    assert (report.total.par1, report.total.par30, report.total.par90) == (ALL, par30, par90)
    assert [(row.par30, row.par90) for row in report.rows] == [(par30, par90)]


def test_the_overdue_list_leaves_out_a_loan_due_today_and_one_paid_up(active_loan, make_active_loan, maker):
    paid_up = make_active_loan()
    services.loan_repay(loan=paid_up, amount=Decimal("212.00"), occurred_on=FIRST_DUE_ON, recorded_by=maker)

    assert list(selectors.overdue_loans(Loan.objects.all(), days_late(0))) == []
    # The day after: the unpaid loan is 1 day past due; the paid-up one, 0 days, has an instalment due before
    # that day (it is read and checked) but is not overdue.
    assert selectors.days_past_due(paid_up, days_late(1)) == 0
    assert list(selectors.overdue_loans(Loan.objects.all(), days_late(1))) == [active_loan]


@pytest.mark.parametrize("days", [0, 1, 29, 30, 31, 90, 91])
def test_the_rule_on_the_stored_due_date_agrees_with_the_ledger(active_loan, days):
    """is_past_due_q and days_past_due_on_record (the dashboard, the partner API) give what days_past_due
    and is_past_due (the portfolio, the loan list) give."""
    as_of = days_late(days)
    loan = Loan.objects.get(pk=active_loan.pk)
    assert loan.oldest_unpaid_due_on == FIRST_DUE_ON

    assert selectors.days_past_due_on_record(loan, as_of) == selectors.days_past_due(loan, as_of) == days
    for threshold in (0, 30, 90):
        late_in_sql = Loan.objects.filter(selectors.is_past_due_q(as_of=as_of, more_than=threshold)).exists()
        assert late_in_sql == selectors.is_past_due(days, more_than=threshold) == (days > threshold)
