"""Fixtures and helpers for every app's tests: the staff role clients, a superuser, a farm in their region and
one outside it, today, the dashboard's small cooperative, a loan disbursed on demand, the reference data, and
helpers to race calls in threads and to count an admin list's queries."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

DAY = datetime.timedelta(days=1)
# How long a thread of run_together waits for the others to start, and the test for every thread to end.
TIMEOUT_SECONDS = 30


@pytest.fixture(autouse=True)
def english_messages(request):
    """Assertions on messages read the English source strings; tests marked `spanish` keep the default (es)."""
    if request.node.get_closest_marker("spanish"):
        yield
        return
    if "client" in request.fixturenames:
        # Pages answer in the request's language (Spanish unless asked): the test client asks for English.
        request.getfixturevalue("client").defaults.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    with translation.override("en"):
        yield


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks); run with DATABASE_URL=postgres://...")


def _client_with_role(client, username: str, role: str | None, regions: tuple[str, ...] = ("Huánuco",)):
    from cooperative.models import Region
    from cooperative.services import staff_role_grant
    from tests.factories import UserFactory

    user = UserFactory(username=username, first_name=username.capitalize())
    if role:
        staff_role_grant(user=user, role=role, regions=Region.objects.filter(name__in=regions))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def manager_client(client, db):
    """A manager covering Huánuco and San Martín (so Cusco and Junín are out of scope)."""
    return _client_with_role(client, "gerente", "manager", ("Huánuco", "San Martín"))


@pytest.fixture
def technician_client(client, db):
    return _client_with_role(client, "tecnico", "technician")


@pytest.fixture
def credit_officer_client(client, db):
    return _client_with_role(client, "credito", "credit_officer")


@pytest.fixture
def ics_client(client, db):
    return _client_with_role(client, "sci", "ics_coordinator")


@pytest.fixture
def outsider_client(client, db):
    """Logged in, but with no staff role."""
    return _client_with_role(client, "visitante", None)


ROLE_CLIENTS = ["manager_client", "technician_client", "credit_officer_client", "ics_client"]


@pytest.fixture
def superuser_client(client, db):
    """A superuser (with staff status): the whole admin, every region."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def farm(db):
    """La Esperanza, the farm of member BA-00001 in Huánuco (every staff fixture's region)."""
    from tests.factories import FarmFactory, MemberFactory, region

    return FarmFactory(member=MemberFactory(code="BA-00001", region=region("Huánuco")), name="La Esperanza")


@pytest.fixture
def cusco_farm(db):
    """Santa Rosa, the farm of member CU-00001 in Cusco: outside every staff fixture's regions."""
    from tests.factories import FarmFactory, MemberFactory, region

    return FarmFactory(member=MemberFactory(code="CU-00001", region=region("Cusco")), name="Santa Rosa")


def changelist_queries(client, name: str) -> int:
    """The queries of the admin list `admin:<name>_changelist` (name: app_label_modelname), which must answer 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    return len(queries)


def run_together(*calls):
    """Start every call at the same moment in its own thread (own connection); return (results, errors).

    Needs a test that commits (django_db(transaction=True)): each thread opens its own connection, which
    sees only committed rows. A call's ValidationError is collected in errors; any other exception ends its
    thread (pytest reports it) without a result."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            # Each thread starts in the default language; messages are asserted in English.
            with translation.override("en"):
                results.append(call())
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def seed_reference_data() -> None:
    """Regions, standards and checklists, as the seed migrations write them (idempotent)."""
    import importlib

    from django.apps import apps

    for module in (
        "cooperative.migrations.0003_seed_regions",
        "certifications.migrations.0003_seed_standards",
        "certifications.migrations.0005_seed_checklists",
    ):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def reference_data(transactional_db):
    """The reference data for tests that commit (transaction=True): flushing after such a test empties the
    tables the seed migrations filled, so they are seeded again here."""
    seed_reference_data()


def _commits(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    uses = set(getattr(item, "fixturenames", ()))
    return bool(marker and marker.kwargs.get("transaction")) or bool(uses & {"transactional_db", "live_server"})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a test that commits, the database is flushed; seed the reference data again when the next test in
    this process does not commit (pytest runs those last, but pytest-xdist hands each worker files in any
    order), so it finds what the migrations wrote."""
    result = yield
    if _commits(item) and nextitem is not None and not _commits(nextitem):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            seed_reference_data()
    return result


# -- the dashboard's cooperative (tests/reporting/test_dashboard.py, the benchmark, the API reports) ----------


@pytest.fixture
def disburse(today):
    """Disburse a loan of 10 sacks at S/ 100.00 (flat 12 %, 6 monthly instalments: S/ 1,060.00 in all)."""
    from credit import services as credit_services
    from tests.factories import CreditProductFactory, InputItemFactory, UserFactory

    product = CreditProductFactory()
    item = InputItemFactory(name="Guano de isla", unit_price=Decimal("100.00"))
    maker, checker = UserFactory(username="maker"), UserFactory(username="checker")

    def disburse_(member, *, days_ago: int):
        disbursed_on = today - datetime.timedelta(days=days_ago)
        loan = credit_services.loan_create(
            member=member,
            product=product,
            lines=[(item, Decimal("10"))],
            submitted_by=maker,
            submitted_on=disbursed_on - 2 * DAY,
        )
        credit_services.loan_approve(loan=loan, approved_by=checker, approved_on=disbursed_on - DAY)
        return credit_services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=disbursed_on)

    return disburse_


@pytest.fixture
def cooperative(today, disburse):
    """Members in Huánuco and San Martín (a manager's regions) and one in Cusco, outside them.

    Ana (Huánuco, female): cocoa 2.50 ha / 1,500 kg, coffee 1.00 ha / 920 kg (20 qq), a retired coffee farm.
    Beto (San Martín, male): cocoa 3.00 ha / 690 kg (10 export bags).
    Carla (Huánuco, inactive): cocoa 5.00 ha. Diego (Cusco): coffee 4.00 ha with everything counted.
    Returns the CACAO program (Huánuco and San Martín), in which Ana and Beto are enrolled.
    """
    from certifications.models import CertificationStatus
    from members.models import Farm, Member
    from tests.factories import (
        AllianceProgramFactory,
        CertificationFactory,
        CommunityProjectFactory,
        FarmFactory,
        FarmVisitFactory,
        MemberFactory,
        ProgramEnrollmentFactory,
        closed_certification,
        region,
        standard,
    )

    huanuco, san_martin, cusco = region("Huánuco"), region("San Martín"), region("Cusco")
    ana = MemberFactory(code="A-1", gender="female", region=huanuco)
    beto = MemberFactory(code="B-1", gender="male", region=san_martin)
    carla = MemberFactory(code="C-1", gender="female", region=huanuco, status=Member.Status.INACTIVE)
    diego = MemberFactory(code="D-1", gender="male", region=cusco)

    ana_cocoa = FarmFactory(member=ana, hectares=Decimal("2.50"), estimated_production_kg=Decimal("1500"))
    ana_coffee = FarmFactory(
        member=ana, crop="coffee", hectares=Decimal("1.00"), estimated_production_kg=Decimal("920")
    )
    FarmFactory(member=ana, crop="coffee", hectares=Decimal("3.00"), status=Farm.Status.RETIRED)
    beto_cocoa = FarmFactory(member=beto, hectares=Decimal("3.00"), estimated_production_kg=Decimal("690"))
    FarmFactory(member=carla, hectares=Decimal("5.00"))
    diego_coffee = FarmFactory(member=diego, crop="coffee", hectares=Decimal("4.00"))

    # Ana's cocoa: certified under RA, expiring in 30 days; an older RA certificate expired (not current).
    closed_certification(ana_cocoa, "rainforest_alliance", CertificationStatus.EXPIRED, datetime.date(2021, 6, 30))
    CertificationFactory(
        farm=ana_cocoa,
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 700 * DAY,
        valid_until=today + 30 * DAY,
    )
    # Ana's coffee: organic candidate; C.A.F.E. Practices certified, expiring in 61 days (after the window).
    CertificationFactory(farm=ana_coffee, standard=standard("organic"))
    CertificationFactory(
        farm=ana_coffee,
        standard=standard("cafe_practices"),
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 300 * DAY,
        valid_until=today + 61 * DAY,
    )
    # Beto's cocoa: expired under RA in 2020, later withdrawn (2022): the withdrawal is current.
    closed_certification(beto_cocoa, "rainforest_alliance", CertificationStatus.EXPIRED, datetime.date(2020, 6, 1))
    closed_certification(beto_cocoa, "rainforest_alliance", CertificationStatus.WITHDRAWN, datetime.date(2022, 3, 1))
    # Diego (Cusco): certified and expiring soon, but outside the regions.
    CertificationFactory(
        farm=diego_coffee,
        standard=standard("organic"),
        status=CertificationStatus.CERTIFIED,
        valid_until=today + 10 * DAY,
    )

    for days_ago, purpose in [(0, "diagnosis"), (29, "training"), (30, "training")]:
        FarmVisitFactory(farm=ana_cocoa, visited_on=today - days_ago * DAY, purpose=purpose)
    FarmVisitFactory(farm=diego_coffee, visited_on=today)

    disburse(ana, days_ago=200)  # first instalment due about 170 days ago, unpaid
    disburse(beto, days_ago=10)  # nothing due yet
    disburse(diego, days_ago=200)

    program = AllianceProgramFactory(
        code="CACAO", regions=[huanuco, san_martin], standards=[standard("rainforest_alliance")]
    )
    ProgramEnrollmentFactory(program=program, member=ana)
    ProgramEnrollmentFactory(program=program, member=beto)
    CommunityProjectFactory(program=program, region=huanuco, beneficiaries=200)
    AllianceProgramFactory(code="CAFE-CUSCO", regions=[cusco])
    return program
