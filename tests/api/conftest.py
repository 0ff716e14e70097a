"""Partners A and B with one program each, their tokens and API clients."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.api.factories import ApiTokenFactory
from tests.factories import AllianceProgramFactory, PartnerFactory, region


def bearer(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.plain_token}", "Accept-Language": "en"}


@pytest.fixture(autouse=True)
def empty_throttle_cache():
    """Throttle counters live in the cache: start every test from zero."""
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture(autouse=True)
def english_responses(client):
    """Pages and API errors are asserted in English (the default for requests is Spanish)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
