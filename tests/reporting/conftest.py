"""Reporting fixtures: the alliance program whose pages and progress the tests read."""

import pytest

from cooperative.models import AllianceProgram
from tests.factories import AllianceProgramFactory, region, standard


@pytest.fixture
def program() -> AllianceProgram:
    """Cocoa in Huánuco, certifying under Rainforest Alliance (the manager covers Huánuco and San Martín)."""
    return AllianceProgramFactory(
        code="LWR-HUA",
        name="Cacao certificado en Huánuco",
        regions=[region("Huánuco")],
        standards=[standard("rainforest_alliance")],
        target_farmers_certified=4,
        target_beneficiaries=400,
    )
