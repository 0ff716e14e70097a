"""Credit fixtures: two staff users (maker and checker), a member, a product and an item.

The standard loan: 10 sacks at S/ 120.00 = S/ 1,200.00, flat 12 % a year over 6 monthly instalments,
disbursed 15 Jan 2026, so every instalment is S/ 200.00 principal + S/ 12.00 interest (S/ 1,272.00 in all),
due on the 15th from February to July 2026.
"""

import datetime
from decimal import Decimal

import pytest

from credit import services
from credit.models import InterestMethod, Loan, RepaymentMode
from tests import factories

SUBMITTED_ON = datetime.date(2026, 1, 10)
APPROVED_ON = datetime.date(2026, 1, 12)
DISBURSED_ON = datetime.date(2026, 1, 15)


@pytest.fixture
def maker():
    return factories.UserFactory(username="maker")


@pytest.fixture
def checker():
    return factories.UserFactory(username="checker")


@pytest.fixture
def member():
    return factories.MemberFactory()


@pytest.fixture
def product():
    return factories.CreditProductFactory(
        interest_method=InterestMethod.FLAT,
        annual_rate=Decimal("12.00"),
        repayment_mode=RepaymentMode.PERIODIC,
        number_of_repayments=6,
        grace_periods=0,
        max_deduction_percent=Decimal("30.00"),
    )


@pytest.fixture
def fertilizer():
    return factories.InputItemFactory(name="Guano de isla", unit_price=Decimal("120.00"))


@pytest.fixture
def submitted_loan(member, product, fertilizer, maker) -> Loan:
    return services.loan_create(
        member=member,
        product=product,
        lines=[(fertilizer, Decimal("10"))],
        submitted_by=maker,
        submitted_on=SUBMITTED_ON,
    )


@pytest.fixture
def approved_loan(submitted_loan, checker) -> Loan:
    return services.loan_approve(loan=submitted_loan, approved_by=checker, approved_on=APPROVED_ON)


@pytest.fixture
def active_loan(approved_loan, maker) -> Loan:
    return services.loan_disburse(loan=approved_loan, disbursed_by=maker, disbursed_on=DISBURSED_ON)


@pytest.fixture
def make_active_loan(product, fertilizer, maker, checker):
    """Build further disbursed loans of the standard shape (a new member each)."""

    def make(quantity: Decimal = Decimal("10"), disbursed_on: datetime.date = DISBURSED_ON, **product_terms) -> Loan:
        loan_product = factories.CreditProductFactory(**product_terms) if product_terms else product
        loan = services.loan_create(
            member=factories.MemberFactory(),
            product=loan_product,
            lines=[(fertilizer, quantity)],
            submitted_by=maker,
            submitted_on=SUBMITTED_ON,
        )
        services.loan_approve(loan=loan, approved_by=checker, approved_on=APPROVED_ON)
        return services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=disbursed_on)

    return make
