"""Each of the ground's factories in tests/factories.py builds an object that passes full_clean()."""

import pytest

from tests import factories

FACTORIES = [
    factories.UserFactory,
    factories.StaffRoleFactory,
    factories.PartnerFactory,
    factories.AllianceProgramFactory,
    factories.ProgramEnrollmentFactory,
    factories.CommunityProjectFactory,
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_builds_an_object_that_passes_full_clean(factory_class):
    obj = factory_class()
    obj.full_clean()
    assert obj.pk is not None
