import pytest
from django.db import connection
from django.utils import translation


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


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo cooperative, built once per test module and rolled back after it.

    Building it takes about a minute, so every test that needs the demo lives in tests/test_demo_data.py
    and shares this one build. Each test still runs in its own savepoint. Returns load_demo's output.
    """
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            output = StringIO()
            call_command("load_demo", stdout=output)
            yield output.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def reference_data(transactional_db):
    """Regions, standards, checklists and the data version rows for tests that commit (transaction=True):
    flushing after such a test empties the tables the seed migrations filled, so they are seeded again here
    (idempotent)."""
    import importlib

    from django.apps import apps

    for module in (
        "cooperative.migrations.0003_seed_regions",
        "certifications.migrations.0003_seed_standards",
        "certifications.migrations.0005_seed_checklists",
    ):
        importlib.import_module(module).seed(apps, None)
    for topic in (1, 2):
        apps.get_model("cooperative", "DataVersion").objects.get_or_create(pk=topic)
