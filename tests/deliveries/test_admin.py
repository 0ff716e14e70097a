"""The deliveries admin is read-only (rows are written by the services) and its lists do not grow queries."""

import pytest
from django.urls import reverse

from deliveries import services
from tests import factories
from tests.conftest import changelist_queries
from tests.deliveries.conftest import PAID_ON, record

pytestmark = pytest.mark.django_db


def _settled_deliveries(count: int, cashier) -> None:
    for _ in range(count):
        farm = factories.FarmFactory(member=factories.MemberFactory(), crop="cocoa")
        delivery = record(farm, cashier)
        services.delivery_settle(delivery=delivery, paid_on=PAID_ON, settled_by=cashier)


@pytest.mark.parametrize("name", ["delivery", "settlement"])
def test_the_changelists_query_count_does_not_grow_with_rows(superuser_client, cashier, name):
    _settled_deliveries(1, cashier)
    one_row = changelist_queries(superuser_client, f"deliveries_{name}")

    _settled_deliveries(9, cashier)

    assert changelist_queries(superuser_client, f"deliveries_{name}") == one_row


def test_nothing_can_be_added_changed_or_deleted_in_the_admin(superuser_client, delivery):
    assert superuser_client.get(reverse("admin:deliveries_delivery_add")).status_code == 403
    response = superuser_client.post(reverse("admin:deliveries_delivery_delete", args=[delivery.pk]), {"post": "yes"})
    assert response.status_code == 403
    delivery.refresh_from_db()
