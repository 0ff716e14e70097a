import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone, translation

from certifications.models import Certification, CertificationEvent, Standard
from certifications.services import certification_change_status, certification_create
from members.models import Farm
from tests import factories


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source text, whatever LANGUAGE_CODE says."""
    with translation.override("en"):
        yield


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def staff(db):
    return factories.UserFactory(username="certification.officer")


@pytest.fixture
def rainforest(db) -> Standard:
    return factories.standard("rainforest_alliance")


@pytest.fixture
def organic(db) -> Standard:
    return factories.standard("organic")


@pytest.fixture
def utz(db) -> Standard:
    return factories.standard("utz")


@pytest.fixture
def cafe(db) -> Standard:
    return factories.standard("cafe_practices")


@pytest.fixture
def farm(db) -> Farm:
    return factories.FarmFactory()


@pytest.fixture
def coffee_farm(db) -> Farm:
    return factories.FarmFactory(crop="coffee")


@pytest.fixture
def rows_written() -> Callable[[], tuple[int, int]]:
    """(certifications, events) in the database, to show that a refused call wrote nothing."""

    def count() -> tuple[int, int]:
        return Certification.objects.count(), CertificationEvent.objects.count()

    return count


@pytest.fixture
def open_candidate(staff, today) -> Callable[..., Certification]:
    def open_(*, farm: Farm, standard: Standard, days_ago: int = 400) -> Certification:
        return certification_create(
            farm=farm,
            standard=standard,
            decided_by=staff,
            occurred_on=today - datetime.timedelta(days=days_ago),
            reason="Registered in the member census",
        )

    return open_


@pytest.fixture
def certify(staff, today) -> Callable[..., Certification]:
    """Certify a candidate or a C3 certification today, valid from today for the standard's default term."""

    def certify_(certification: Certification, *, occurred_on: datetime.date | None = None) -> Certification:
        return certification_change_status(
            certification=certification,
            to_status="certified",
            occurred_on=occurred_on or today,
            reason="External audit passed",
            decided_by=staff,
            certificate_number="RA-2026-0001",
            valid_from=occurred_on or today,
        )

    return certify_
