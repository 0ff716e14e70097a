"""The dashboard's credit figures at the threshold: "loans more than 30 days past due" and PAR30 count a loan
31 days past due and not one exactly 30 days past due (credit.selectors.is_past_due_q), and the benchmark's
hand-written SQL, which mirrors the rule, counts the same."""

import datetime
from decimal import Decimal

import pytest

from bench import raw_sql
from cooperative.models import Region
from credit import services as credit_services
from reporting.selectors import dashboard_figures
from tests.factories import CreditProductFactory, InputItemFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

DISBURSED_ON = datetime.date(2026, 1, 15)


@pytest.fixture
def first_due_on() -> datetime.date:
    """A loan of S/ 1,000.00 (6 monthly instalments) disbursed on 15 January 2026, nothing repaid: the due
    date of its first instalment."""
    maker, checker = UserFactory(username="maker"), UserFactory(username="checker")
    loan = credit_services.loan_create(
        member=MemberFactory(),
        product=CreditProductFactory(),
        lines=[(InputItemFactory(unit_price=Decimal("100.00")), Decimal("10"))],
        submitted_by=maker,
        submitted_on=DISBURSED_ON,
    )
    credit_services.loan_approve(loan=loan, approved_by=checker, approved_on=DISBURSED_ON)
    credit_services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=DISBURSED_ON)
    return loan.instalments.order_by("due_on").first().due_on


@pytest.mark.parametrize(
    ("days", "late_loans", "par30"),
    [
        (30, 0, Decimal("0.0000")),  # exactly 30 days past due: not more than 30
        (31, 1, Decimal("1.0000")),
    ],
)
def test_the_dashboard_counts_loans_more_than_30_days_past_due_not_exactly_30(first_due_on, days, late_loans, par30):
    as_of = first_due_on + datetime.timedelta(days=days)

    credit = dashboard_figures(
        regions=Region.objects.all(), as_of=as_of, with_visits=False, with_dashboard_only=False
    ).credit

    assert (credit.active_loans, credit.principal_outstanding) == (1, Decimal("1000.00"))
    assert (credit.loans_over_30_days, credit.par30) == (late_loans, par30)
    raw = raw_sql.summary_figures(raw_sql.Scope(), as_of=as_of, period=(as_of, as_of))["credit"]
    assert (raw["loans_over_30_days"], raw["par30"]) == (late_loans, par30)
