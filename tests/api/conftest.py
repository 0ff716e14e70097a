"""Partners A and B with one program each, their tokens and API clients."""

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from tests.api.factories import ApiTokenFactory
from tests.factories import AllianceProgramFactory, FarmFactory, MemberFactory, PartnerFactory, region


def bearer(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.plain_token}", "Accept-Language": "en"}


@pytest.fixture(autouse=True)
def empty_throttle_cache():
    """Throttle counters live in the cache: start every test from zero."""
    caches["limits"].clear()
    yield
    caches["limits"].clear()


@pytest.fixture
def partner_a(db):
    return PartnerFactory(name="Lutheran World Relief")


@pytest.fixture
def partner_b(db):
    return PartnerFactory(name="Café Compradores SAC")


@pytest.fixture
def program_a(partner_a):
    """Partner A's program in Huánuco (the technician's and the manager's region)."""
    return AllianceProgramFactory(partner=partner_a, code="LWR-CACAO", regions=[region("Huánuco")])


@pytest.fixture
def program_b(partner_b):
    """Partner B's program in Cusco (outside every staff fixture's regions)."""
    return AllianceProgramFactory(partner=partner_b, code="CCS-CAFE", regions=[region("Cusco")], crops=["coffee"])


@pytest.fixture
def token_a(partner_a):
    # Used a moment ago: requests in the tests do not also write last_used_at (pinned query counts).
    return ApiTokenFactory(partner=partner_a, last_used_at=timezone.now())


@pytest.fixture
def token_b(partner_b):
    return ApiTokenFactory(partner=partner_b, last_used_at=timezone.now())


@pytest.fixture
def partner_a_client(token_a):
    client = Client(headers=bearer(token_a))
    client.token = token_a
    return client


@pytest.fixture
def partner_b_client(token_b):
    client = Client(headers=bearer(token_b))
    client.token = token_b
    return client


@pytest.fixture
def farm(db):
    """A cocoa farm in Huánuco (the technician's and the manager's region)."""
    return FarmFactory(member=MemberFactory(region=region("Huánuco")), crop="cocoa")


@pytest.fixture(autouse=True)
def english_responses(client):
    """Pages and API errors are asserted in English (the default for requests is Spanish), also for tests
    that pick their client by name (request.getfixturevalue), which tests/conftest.py's english_messages
    does not see."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


# -- list endpoints (tests/api/test_lists_*.py) --------------------------------------------------------


@pytest.fixture
def population(program_a, program_b):
    """Members with one farm, one certification, one visit and one loan each, keyed by role:

    - a_consenting (Huánuco) and a_private (San Martín, no consent): enrolled in partner A's program;
    - b_member (Cusco): enrolled in partner B's program;
    - unenrolled (Huánuco): in no program; a_withdrawn (Huánuco): withdrew from A's program.
    """
    import datetime

    from cooperative.models import ProgramEnrollment
    from tests.factories import (
        CertificationFactory,
        FarmFactory,
        FarmVisitFactory,
        LoanFactory,
        MemberFactory,
        ProgramEnrollmentFactory,
        UserFactory,
        VisitPestObservationFactory,
    )

    technician = UserFactory(username="tecnico.campo")
    specs = {
        "a_consenting": ("Huánuco", True, program_a, ProgramEnrollment.Status.ACTIVE),
        "a_private": ("San Martín", False, program_a, ProgramEnrollment.Status.COMPLETED),
        "b_member": ("Cusco", True, program_b, ProgramEnrollment.Status.ACTIVE),
        "unenrolled": ("Huánuco", True, None, None),
        "a_withdrawn": ("Huánuco", True, program_a, ProgramEnrollment.Status.WITHDRAWN),
    }
    members = {}
    for key, (region_name, consents, program, status) in specs.items():
        member = MemberFactory(
            code=f"M-{key}",
            region=region(region_name),
            consents_to_share=consents,
            consent_date=datetime.date(2020, 1, 1) if consents else None,
            birth_date=datetime.date(1980, 5, 17),
            phone="987654321",
        )
        if program is not None:
            ProgramEnrollmentFactory(program=program, member=member, status=status)
        farm = FarmFactory(member=member, name=f"Parcela {key}", latitude="-9.295123", longitude="-75.996789")
        CertificationFactory(farm=farm)
        visit = FarmVisitFactory(farm=farm, technician=technician)
        VisitPestObservationFactory(visit=visit, pest="frosty_pod_rot", severity=2)
        LoanFactory(member=member, reference=f"CR-{key}", program=program)
        members[key] = member
    return members
