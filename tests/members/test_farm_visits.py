import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from members.models import Farm, FarmVisit, VisitPestObservation, VisitPhoto
from members.services import VisitOutcome, farm_update, visit_record
from tests.factories import FarmFactory, FarmVisitFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(farm, **overrides):
    values = dict(
        client_uuid=uuid.uuid4(),
        farm=farm,
        technician=UserFactory(username="tecnico"),
        visited_on=datetime.date(2026, 10, 3),
        purpose="follow_up",
        practices_observed=["composting", "shade_management"],
        pests={"frosty_pod_rot": 2, "black_pod": 0},
        estimated_yield_kg=Decimal("1200"),
        follow_up_on=datetime.date(2026, 11, 3),
    )
    values.update(overrides)
    return visit_record(**values)


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("foto.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_it_records_a_visit_with_its_pest_observations():
    result = record(FarmFactory(crop="cocoa"))

    assert result.created and result.outcome is VisitOutcome.CREATED
    assert dict(result.visit.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}


def test_an_identical_retry_returns_the_stored_visit_as_a_replay_and_writes_nothing():
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    first = record(farm, client_uuid=client_uuid).visit

    # The same visit as the phone may send it again: practices in another order, 1200 as 1200.00.
    again = record(
        farm,
        client_uuid=client_uuid,
        practices_observed=["shade_management", "composting"],
        estimated_yield_kg=Decimal("1200.00"),
    )

    assert again.outcome is VisitOutcome.REPLAYED and not again.created
    assert again.visit.pk == first.pk
    assert FarmVisit.objects.count() == 1
    assert VisitPestObservation.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"visited_on": datetime.date(2026, 10, 2)},
        {"purpose": "training"},
        {"practices_observed": ["composting"]},
        {"pests": {"frosty_pod_rot": 3, "black_pod": 0}},
        {"pests": {"frosty_pod_rot": 2}},
        {"pests": {"frosty_pod_rot": 2, "black_pod": 0, "witches_broom": 1}},
        {"estimated_yield_kg": Decimal("1100")},
        {"estimated_yield_kg": None},
        {"recommendations": "changed on the phone after the upload"},
        {"follow_up_on": None},
        {"latitude": Decimal("-9.301234"), "longitude": Decimal("-75.998765")},
    ],
)
def test_a_retry_with_other_content_returns_the_stored_visit_as_differing_and_changes_nothing(change):
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    first = record(farm, client_uuid=client_uuid).visit

    again = record(farm, client_uuid=client_uuid, **change)

    assert again.outcome is VisitOutcome.REPLAY_DIFFERS and not again.created
    assert again.visit.pk == first.pk
    stored = FarmVisit.objects.get()
    assert (stored.purpose, stored.visited_on, stored.recommendations) == ("follow_up", first.visited_on, "")
    assert dict(stored.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}


def test_a_retry_naming_another_farm_differs():
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    record(farm, client_uuid=client_uuid)

    again = record(FarmFactory(crop="cocoa", member=farm.member), client_uuid=client_uuid)

    assert again.outcome is VisitOutcome.REPLAY_DIFFERS
    assert FarmVisit.objects.get().farm == farm


@pytest.mark.parametrize(("first_photos", "retry_photos"), [(1, 0), (0, 2), (1, 1)])
def test_photos_are_not_compared_nor_stored_again_on_a_retry(first_photos, retry_photos):
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    record(farm, client_uuid=client_uuid, photos=[photo() for _ in range(first_photos)])

    again = record(farm, client_uuid=client_uuid, photos=[photo() for _ in range(retry_photos)])

    assert again.outcome is VisitOutcome.REPLAYED
    assert VisitPhoto.objects.count() == first_photos


def test_another_users_uuid_is_taken_and_their_visit_is_not_returned():
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    record(farm, client_uuid=client_uuid, technician=UserFactory(username="otro"))

    result = record(farm, client_uuid=client_uuid)

    assert result.outcome is VisitOutcome.UUID_TAKEN
    assert result.visit is None
    assert FarmVisit.objects.get().technician.username == "otro"


@pytest.mark.parametrize(
    ("retry", "outcome"),
    [
        ({}, VisitOutcome.REPLAYED),
        ({"purpose": "training"}, VisitOutcome.REPLAY_DIFFERS),
        ({"technician": "otro"}, VisitOutcome.UUID_TAKEN),
    ],
)
def test_an_upload_that_loses_the_insert_race_is_answered_like_a_replay(monkeypatch, retry, outcome):
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    winner = record(farm, client_uuid=client_uuid).visit
    if "technician" in retry:
        retry["technician"] = UserFactory(username=retry["technician"])
    # The loser looked the UUID up before the winner committed, so its lookup found nothing; its insert
    # then meets the unique constraint (the real race runs on PostgreSQL in tests/api/test_visit_upload.py).
    original_first = QuerySet.first
    missed = []

    def first_after_the_race(queryset):
        if queryset.model is FarmVisit and not missed:
            missed.append(queryset)
            return None
        return original_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_after_the_race)

    result = record(farm, client_uuid=client_uuid, **retry)

    assert missed, "the service did not look the UUID up"
    assert result.outcome is outcome
    if outcome is VisitOutcome.UUID_TAKEN:
        assert result.visit is None
    else:
        assert result.visit.pk == winner.pk
    assert FarmVisit.objects.count() == 1
    assert VisitPestObservation.objects.count() == 2


def test_a_retry_is_answered_even_after_the_farm_was_retired():
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    record(farm, client_uuid=client_uuid)
    farm = farm_update(farm=farm, status=Farm.Status.RETIRED)

    assert record(farm, client_uuid=client_uuid).outcome is VisitOutcome.REPLAYED


def test_the_database_refuses_two_visits_with_one_client_uuid():
    visit = FarmVisitFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        FarmVisitFactory(client_uuid=visit.client_uuid)


def test_it_rejects_a_visit_dated_tomorrow_and_writes_nothing():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        record(FarmFactory(), visited_on=tomorrow, follow_up_on=None)

    assert "visited_on" in excinfo.value.message_dict
    assert not FarmVisit.objects.exists()
    assert not VisitPestObservation.objects.exists()


def test_it_rejects_a_pest_of_the_other_crop():
    with pytest.raises(ValidationError) as excinfo:
        record(FarmFactory(crop="cocoa"), pests={"leaf_rust": 2})

    assert "pests" in excinfo.value.message_dict
    assert not FarmVisit.objects.exists()


@pytest.mark.parametrize("severity", [-1, 4, "2"])
def test_it_rejects_a_severity_outside_zero_to_three(severity):
    with pytest.raises(ValidationError):
        record(FarmFactory(crop="cocoa"), pests={"frosty_pod_rot": severity})

    assert not FarmVisit.objects.exists()


def test_the_database_refuses_a_severity_above_three():
    visit = FarmVisitFactory()

    with pytest.raises(IntegrityError, match="members_pestobservation_severity_range"), transaction.atomic():
        VisitPestObservation.objects.create(visit=visit, pest="frosty_pod_rot", severity=5)


def test_it_rejects_an_unknown_practice():
    with pytest.raises(ValidationError) as excinfo:
        record(FarmFactory(), practices_observed=["burning"])

    assert "practices_observed" in excinfo.value.message_dict


def test_a_follow_up_before_the_visit_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        record(FarmFactory(), follow_up_on=datetime.date(2026, 9, 1))

    assert "follow_up_on" in excinfo.value.message_dict


def test_a_retired_farm_takes_no_new_visits():
    farm = farm_update(farm=FarmFactory(), status=Farm.Status.RETIRED)

    with pytest.raises(ValidationError) as excinfo:
        record(farm)

    assert "farm" in excinfo.value.message_dict
