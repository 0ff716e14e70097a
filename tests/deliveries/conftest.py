"""Deliveries fixtures: a cocoa farmer in Huánuco with two loans, and helpers to record and settle.

The loans (through the credit services, so the ledger is real): S/ 1,200.00 of fertilizer each, flat 12 % a
year over 6 monthly instalments, S/ 1,272.00 to repay in all. The older one, disbursed 15 Jan 2026, is of a
product capping harvest deductions at 30 % of a payment; the newer one, disbursed 1 Mar 2026, at 50 %.
"""

import datetime
from decimal import Decimal

import pytest

from credit import services as credit_services
from credit.models import InterestMethod, Loan, RepaymentMode
from deliveries import services
from deliveries.models import Delivery
from tests import factories

DELIVERED_ON = datetime.date(2026, 10, 15)
PAID_ON = datetime.date(2026, 10, 20)
LOAN_TOTAL = Decimal("1272.00")


@pytest.fixture
def cashier():
    return factories.UserFactory(username="cajera", first_name="Carmen", last_name="Rojas")


@pytest.fixture
def member():
    return factories.MemberFactory(code="BA-00001", region=factories.region("Huánuco"))


@pytest.fixture
def cocoa_farm(member):
    return factories.FarmFactory(
        member=member, name="La Esperanza", crop="cocoa", estimated_production_kg=Decimal("1500.00")
    )


@pytest.fixture
def coffee_farm(member):
    return factories.FarmFactory(
        member=member, name="Alto Mirador", crop="coffee", estimated_production_kg=Decimal("2300.00")
    )


def make_loan(
    member,
    *,
    percent: str,
    disbursed_on: datetime.date,
    quantity: Decimal = Decimal("10"),
    reference: str | None = None,
) -> Loan:
    """A disbursed loan of `quantity` sacks at S/ 120.00, of a product capping deductions at `percent` %."""
    maker = factories.UserFactory(username="asesor")
    checker = factories.UserFactory(username="jefe")
    product = factories.CreditProductFactory(
        interest_method=InterestMethod.FLAT,
        annual_rate=Decimal("12.00"),
        repayment_mode=RepaymentMode.PERIODIC,
        number_of_repayments=6,
        grace_periods=0,
        max_deduction_percent=Decimal(percent),
    )
    item = factories.InputItemFactory(name="Guano de isla", unit_price=Decimal("120.00"))
    submitted_on = disbursed_on - datetime.timedelta(days=5)
    loan = credit_services.loan_create(
        member=member,
        product=product,
        lines=[(item, quantity)],
        submitted_by=maker,
        submitted_on=submitted_on,
        reference=reference,
    )
    credit_services.loan_approve(loan=loan, approved_by=checker, approved_on=submitted_on)
    return credit_services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=disbursed_on)


@pytest.fixture
def older_loan(member) -> Loan:
    return make_loan(member, percent="30.00", disbursed_on=datetime.date(2026, 1, 15))


@pytest.fixture
def newer_loan(member) -> Loan:
    return make_loan(member, percent="50.00", disbursed_on=datetime.date(2026, 3, 1))


def record(farm, cashier, *, quantity="100.00", unit="kg", price="8.50", state=None, **values) -> Delivery:
    """A delivery through the service (dry beans for cocoa, dry parchment for coffee unless `state`)."""
    return services.delivery_record(
        member=farm.member,
        farm=farm,
        delivered_on=values.pop("delivered_on", DELIVERED_ON),
        product_state=state or ("dry_beans" if farm.crop == "cocoa" else "dry_parchment"),
        quantity=Decimal(quantity),
        unit=unit,
        price_per_kg=Decimal(price),
        received_by=cashier,
        **values,
    )


@pytest.fixture
def delivery(cocoa_farm, cashier) -> Delivery:
    """1,000 kg of dry cocoa beans at S/ 8.50: S/ 8,500.00 gross."""
    return record(cocoa_farm, cashier, quantity="1000.00")
