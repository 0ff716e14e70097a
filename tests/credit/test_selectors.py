"""Balances, days past due and portfolio at risk, and the query count of the loan list."""

import datetime
from decimal import Decimal

import pytest

from credit import selectors, services
from credit.models import Loan, LoanStatus
from tests import factories
from tests.credit.conftest import DISBURSED_ON

D = Decimal
pytestmark = pytest.mark.django_db


def repay(loan, amount, user, occurred_on=datetime.date(2026, 2, 10)):
    return services.loan_repay(loan=loan, amount=D(amount), occurred_on=occurred_on, recorded_by=user)


def test_a_loan_not_yet_disbursed_has_a_zero_balance_and_is_never_late(approved_loan):
    balance = selectors.loan_balance(approved_loan)

    assert balance.total_outstanding == D("0.00")
    assert balance.principal_disbursed == D("0.00")
    assert selectors.instalment_allocation(approved_loan) == []
    assert selectors.days_past_due(approved_loan, datetime.date(2026, 12, 1)) == 0


def test_a_reversed_repayment_counts_zero_in_the_balance(active_loan, maker, checker):
    kept = repay(active_loan, "112.00", maker)
    reversed_payment = repay(active_loan, "50.00", maker)
    services.loan_reverse(
        transaction=reversed_payment, recorded_by=checker, occurred_on=datetime.date(2026, 2, 11), reason="Error"
    )

    balance = selectors.loan_balance(active_loan)

    assert balance == selectors.LoanBalance(
        principal_disbursed=D("1200.00"),
        principal_paid=kept.principal_portion,
        interest_due_total=D("72.00"),
        interest_paid=kept.interest_portion,
        principal_outstanding=D("1100.00"),
        interest_outstanding=D("60.00"),
        total_outstanding=D("1160.00"),
    )


@pytest.mark.parametrize(
    ("paid", "as_of", "expected"),
    [
        ("0.00", datetime.date(2026, 2, 15), 0),  # due today: not yet late
        ("0.00", datetime.date(2026, 2, 16), 1),
        ("0.00", datetime.date(2026, 3, 27), 40),  # still counted from the oldest unpaid instalment
        ("212.00", datetime.date(2026, 3, 27), 12),  # first instalment paid: counted from 15 March
        ("211.99", datetime.date(2026, 3, 27), 40),  # one céntimo short with no tolerance
        ("424.00", datetime.date(2026, 3, 27), 0),
    ],
)
def test_days_past_due_counts_from_the_oldest_unpaid_instalment(active_loan, maker, paid, as_of, expected):
    if D(paid):
        repay(active_loan, paid, maker)

    assert selectors.days_past_due(active_loan, as_of) == expected


def test_an_unpaid_remainder_within_the_arrears_tolerance_is_not_overdue(make_active_loan, maker):
    loan = make_active_loan(arrears_tolerance=D("1.00"))
    repay(loan, "211.50", maker)  # 0.50 short on the first instalment

    assert selectors.days_past_due(loan, datetime.date(2026, 3, 10)) == 0
    assert selectors.days_past_due(loan, datetime.date(2026, 3, 20)) == 5


@pytest.fixture
def portfolio(active_loan, make_active_loan, maker, product, fertilizer):
    """As of 1 April 2026: one loan on time, one 17 days late, one 45 days late, one closed, one not disbursed."""
    on_time = active_loan
    repay(on_time, "424.00", maker)  # principal outstanding 800
    late_17 = make_active_loan()
    repay(late_17, "212.00", maker)  # principal outstanding 1,000
    late_45 = make_active_loan()  # principal outstanding 1,200
    closed = make_active_loan()
    repay(closed, "1272.00", maker)
    assert Loan.objects.get(pk=closed.pk).status == LoanStatus.CLOSED
    services.loan_create(
        member=factories.MemberFactory(),
        product=product,
        lines=[(fertilizer, D("100"))],
        submitted_by=maker,
        submitted_on=datetime.date(2026, 3, 1),
    )
    return {"on_time": on_time, "late_17": late_17, "late_45": late_45}


AS_OF = datetime.date(2026, 4, 1)


def test_par30_is_the_whole_outstanding_principal_of_loans_more_than_30_days_late_over_the_portfolio(portfolio):
    assert selectors.days_past_due(portfolio["late_45"], AS_OF) == 45
    assert selectors.days_past_due(portfolio["late_17"], AS_OF) == 17

    # 1,200 / (800 + 1,000 + 1,200).
    assert selectors.portfolio_at_risk(AS_OF) == D("0.4000")
    assert selectors.portfolio_at_risk_report(AS_OF) == {1: D("0.7333"), 30: D("0.4000"), 90: D("0.0000")}


def test_portfolio_at_risk_can_be_narrowed_to_part_of_the_portfolio(portfolio):
    late_and_on_time = Loan.objects.filter(pk__in=[portfolio["late_45"].pk, portfolio["on_time"].pk])

    assert selectors.portfolio_at_risk(AS_OF, days=30, queryset=late_and_on_time) == D("0.6000")


def test_portfolio_at_risk_of_an_empty_portfolio_is_zero():
    assert selectors.portfolio_at_risk(AS_OF) == D("0")


def test_a_written_off_loan_leaves_the_portfolio_at_risk(portfolio, checker):
    services.loan_write_off(loan=portfolio["late_45"], recorded_by=checker, occurred_on=AS_OF, reason="Incobrable")

    assert selectors.portfolio_at_risk(AS_OF) == D("0.0000")
    assert selectors.portfolio_at_risk(AS_OF, days=1) == D("0.5556")  # 1,000 / 1,800


@pytest.mark.parametrize("count", [1, 20])
def test_the_loan_list_takes_one_query_however_many_loans(count, make_active_loan, maker, django_assert_num_queries):
    for index in range(count):
        loan = make_active_loan(quantity=D(index + 1))
        if index % 2:
            repay(loan, "50.00", maker)

    # 1: loans joined with member and product, balances as correlated subqueries.
    with django_assert_num_queries(1):
        rows = [
            (str(loan), loan.product.name, loan.principal_outstanding) for loan in selectors.loans_with_outstanding()
        ]

    assert len(rows) == count
    outstanding = {loan.pk: loan.principal_outstanding for loan in selectors.loans_with_outstanding()}
    assert outstanding == {loan.pk: selectors.loan_balance(loan).principal_outstanding for loan in Loan.objects.all()}


@pytest.mark.parametrize("count", [1, 20])
def test_portfolio_at_risk_takes_one_query_however_many_loans(count, make_active_loan, django_assert_num_queries):
    for _index in range(count):
        make_active_loan(disbursed_on=DISBURSED_ON)

    # 1: the active loans' stored principal outstanding, summed in all and by lateness.
    with django_assert_num_queries(1):
        par = selectors.portfolio_at_risk(AS_OF)

    assert par == D("1.0000")


@pytest.mark.parametrize("count", [1, 20])
def test_portfolio_at_risk_counts_charges_in_the_same_single_query(
    count, make_active_loan, maker, django_assert_num_queries
):
    for _index in range(count):
        loan = make_active_loan()
        repay(loan, "424.00", maker)  # on time on 1 April (next due 15 April)
        services.loan_charge_add(
            loan=loan,
            kind="penalty",
            amount=D("2.00"),
            due_on=datetime.date(2026, 2, 15),
            reason="Mora",
            recorded_by=maker,
            occurred_on=datetime.date(2026, 3, 1),
        )

    # 1: the active loans' stored principal outstanding by lateness. The unpaid penalty, owed with instalment 1
    # (15 February), makes each loan 45 days late (Loan.oldest_unpaid_due_on).
    with django_assert_num_queries(1):
        par = selectors.portfolio_at_risk(AS_OF)

    assert par == D("1.0000")
