"""members.services.visit_record on its own (no page, no API): the service alone decides what a second upload
of a stored client UUID is, and answers it without writing anything, rows or photo files."""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from members.models import FarmVisit
from members.services import VisitOutcome, visit_record
from tests.factories import FarmFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")
# The transaction's own statements (savepoints inside the test's transaction).
TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def media(settings, tmp_path):
    """Photos stored on disk under tmp_path, so the files a call writes can be listed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def row_counts() -> dict[str, int]:
    """Rows in every table of the members app, the audit history tables included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_app_config("members").get_models()}


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("foto.jpg", buffer.getvalue(), content_type="image/jpeg")


def upload(**overrides):
    values = dict(
        visited_on=datetime.date(2026, 10, 3),
        purpose="follow_up",
        practices_observed=["composting", "shade_management"],
        pests={"frosty_pod_rot": 2, "black_pod": 0},
        estimated_yield_kg=Decimal("1200"),
        recommendations="Podar las ramas bajas.",
        follow_up_on=datetime.date(2026, 11, 3),
        latitude=Decimal("-9.301234"),
        longitude=Decimal("-75.998765"),
        photos=[photo()],
    )
    values.update(overrides)
    return visit_record(**values)


def replayed_without_writes(**values):
    """Upload again; return the result and its statements (transaction control left out) after checking
    that nothing was written, nor even tried."""
    counts = row_counts()
    with CaptureQueriesContext(connection) as captured:
        result = upload(**values)
    statements = [query["sql"] for query in captured if not query["sql"].upper().startswith(TRANSACTION)]
    assert [sql for sql in statements if sql.lstrip().upper().startswith(WRITES)] == []
    assert row_counts() == counts
    return result, statements


def test_the_same_visit_sent_twice_is_replayed_the_second_time_and_writes_nothing(media):
    farm, technician, client_uuid = FarmFactory(crop="cocoa"), UserFactory(), uuid.uuid4()
    first = upload(client_uuid=client_uuid, farm=farm, technician=technician)
    assert first.outcome is VisitOutcome.CREATED
    files = stored_files(media)
    assert len(files) == 1

    again, statements = replayed_without_writes(client_uuid=client_uuid, farm=farm, technician=technician)

    assert again.outcome is VisitOutcome.REPLAYED
    assert again.visit.pk == first.visit.pk
    # 1. the visit stored under the UUID, 2. its pest observations (to compare them with the ones sent);
    # each named by the first table it reads.
    assert [sql.split('"')[1] for sql in statements] == ["members_farmvisit", "members_visitpestobservation"]
    assert stored_files(media) == files


def test_the_same_uuid_sent_with_other_data_is_a_differing_replay_and_writes_nothing(media):
    farm, technician, client_uuid = FarmFactory(crop="cocoa"), UserFactory(), uuid.uuid4()
    first = upload(client_uuid=client_uuid, farm=farm, technician=technician)
    files = stored_files(media)

    again, _ = replayed_without_writes(
        client_uuid=client_uuid,
        farm=farm,
        technician=technician,
        purpose="training",
        pests={"frosty_pod_rot": 3},
        recommendations="Cambiado en el teléfono después del envío.",
    )

    assert again.outcome is VisitOutcome.REPLAY_DIFFERS
    assert again.visit.pk == first.visit.pk
    stored = FarmVisit.objects.get()
    assert (stored.purpose, stored.recommendations) == ("follow_up", "Podar las ramas bajas.")
    assert dict(stored.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}
    assert stored_files(media) == files


def test_a_uuid_of_another_technicians_visit_is_taken_and_writes_nothing(media):
    farm, client_uuid = FarmFactory(crop="cocoa"), uuid.uuid4()
    upload(client_uuid=client_uuid, farm=farm, technician=UserFactory(username="otro"))
    files = stored_files(media)

    result, _ = replayed_without_writes(client_uuid=client_uuid, farm=farm, technician=UserFactory())

    assert result.outcome is VisitOutcome.UUID_TAKEN
    assert result.visit is None
    assert FarmVisit.objects.get().technician.username == "otro"
    assert stored_files(media) == files
