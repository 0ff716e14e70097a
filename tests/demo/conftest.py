"""The demo cooperative, built once for a test module; and the deliveries fixtures the demo deliveries use."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.deliveries.conftest import cashier, cocoa_farm, coffee_farm, member  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo cooperative, built once per test module and rolled back after it.

    Building it takes about a minute, so every test that needs the demo lives in tests/demo/test_demo_data.py
    and shares this one build. Each test still runs in its own savepoint. Returns load_demo's output.
    """
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
