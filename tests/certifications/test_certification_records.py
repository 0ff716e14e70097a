"""What the database itself guarantees about certifications and their events."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from certifications.models import Certification, CertificationEvent
from tests import factories


@pytest.mark.django_db
def test_an_event_cannot_be_changed_once_saved(farm, rainforest, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)
    event = certification.events.get()
    event.reason = "Rewritten afterwards"

    with pytest.raises(ValidationError, match="append-only and cannot be changed"):
        event.save()

    assert CertificationEvent.objects.get(pk=event.pk).reason == "Registered in the member census"


@pytest.mark.django_db
def test_an_event_cannot_be_deleted(farm, rainforest, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)
    event = certification.events.get()

    with pytest.raises(ValidationError, match="append-only and cannot be deleted"):
        event.delete()

    assert CertificationEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_certification_with_events_cannot_be_deleted(farm, rainforest, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    with pytest.raises(ProtectedError), transaction.atomic():
        certification.delete()

    assert Certification.objects.filter(pk=certification.pk).exists()


@pytest.mark.django_db
def test_a_validity_ending_before_it_starts_is_refused_by_full_clean_and_by_the_database():
    certification = factories.CertificationFactory.build(
        farm=factories.FarmFactory(),
        status="certified",
        certificate_number="RA-1",
        valid_from=datetime.date(2026, 3, 1),
        valid_until=datetime.date(2026, 2, 28),
    )

    with pytest.raises(ValidationError) as refused:
        certification.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        certification.save()

    assert refused.value.message_dict["valid_until"] == ["The end of validity cannot be before its start."]
    assert Certification.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_two_open_certifications_for_one_farm_and_standard(farm, rainforest):
    factories.CertificationFactory(farm=farm, standard=rainforest, status="candidate")

    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.create(farm=farm, standard=rainforest, status="certified")

    assert Certification.objects.filter(farm=farm, standard=rainforest).count() == 1


@pytest.mark.django_db
def test_the_database_keeps_any_number_of_closed_certifications(farm, rainforest):
    for _ in range(2):
        Certification.objects.create(farm=farm, standard=rainforest, status="withdrawn")
    Certification.objects.create(farm=farm, standard=rainforest, status="candidate")

    assert Certification.objects.filter(farm=farm, standard=rainforest).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "stage"), [("in_conversion", ""), ("candidate", "c1")])
def test_the_database_keeps_the_conversion_stage_only_in_conversion(farm, organic, status, stage):
    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.create(farm=farm, standard=organic, status=status, conversion_stage=stage)

    assert Certification.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_an_event_that_does_not_change_the_status(farm, rainforest, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationEvent.objects.create(
            certification=certification,
            from_status="candidate",
            to_status="candidate",
            occurred_on=datetime.date(2026, 1, 1),
            reason="Nothing happened",
        )

    assert certification.events.count() == 1
