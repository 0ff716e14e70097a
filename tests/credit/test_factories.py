"""Each of the credit app's factories in tests/factories.py builds an object that passes full_clean()."""

import pytest

from tests import factories

FACTORIES = [
    factories.InputItemFactory,
    factories.CreditProductFactory,
    factories.LoanFactory,
    factories.LoanLineFactory,
    factories.InstalmentFactory,
    factories.LoanTransactionFactory,
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_builds_an_object_that_passes_full_clean(factory_class):
    obj = factory_class()
    obj.full_clean()
    assert obj.pk is not None
