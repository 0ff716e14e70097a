"""The demo deliveries: recorded and settled through the services, deterministic, written once."""

import datetime

import pytest

from credit.models import LoanTransaction, TransactionKind
from deliveries.models import Delivery, Settlement
from demo.deliveries import seed_demo_deliveries
from tests import factories
from tests.deliveries.conftest import make_loan

pytestmark = pytest.mark.django_db
SEASON_END = datetime.date(2026, 9, 30)


def test_the_demo_records_and_settles_deliveries_once(cashier, cocoa_farm, coffee_farm):
    make_loan(cocoa_farm.member, percent="30.00", disbursed_on=datetime.date(2026, 1, 15))
    for _ in range(3):
        factories.FarmFactory(member=factories.MemberFactory(), crop="coffee", estimated_production_kg=920)

    recorded = seed_demo_deliveries(received_by=cashier, season_end=SEASON_END, share_of_farms=1.0)

    assert recorded == Delivery.objects.count() >= 5
    assert Settlement.objects.exists()
    assert LoanTransaction.objects.filter(kind=TransactionKind.HARVEST_DEDUCTION).exists()
    assert all(delivery.delivered_on <= SEASON_END for delivery in Delivery.objects.all())
    assert seed_demo_deliveries(received_by=cashier, season_end=SEASON_END, share_of_farms=1.0) == 0
    assert Delivery.objects.count() == recorded
