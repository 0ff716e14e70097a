import pytest
from django.db import connection
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages(request):
    """Assertions on messages read the English source strings; tests marked `spanish` keep the default (es)."""
    if request.node.get_closest_marker("spanish"):
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks); run with DATABASE_URL=postgres://...")
