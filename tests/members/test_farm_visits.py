import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members.models import Farm, FarmVisit, VisitPestObservation
from members.services import farm_update, visit_record
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


def test_it_records_a_visit_with_its_pest_observations():
    visit, created = record(FarmFactory(crop="cocoa"))

    assert created
    assert dict(visit.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}


def test_a_retry_with_the_same_uuid_returns_the_stored_visit_instead_of_a_duplicate():
    farm = FarmFactory(crop="cocoa")
    client_uuid = uuid.uuid4()
    first, _ = record(farm, client_uuid=client_uuid)

    again, created = record(farm, client_uuid=client_uuid, recommendations="changed on retry")

    assert not created
    assert again.pk == first.pk
    assert FarmVisit.objects.count() == 1
    assert VisitPestObservation.objects.count() == 2
    assert FarmVisit.objects.get().recommendations == ""


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
