import pytest
from django.db import IntegrityError, transaction

from certifications.models import Standard


@pytest.mark.django_db
def test_the_four_standards_of_the_case_study_are_seeded():
    assert set(Standard.objects.values_list("code", flat=True)) == {
        "organic",
        "rainforest_alliance",
        "utz",
        "cafe_practices",
    }


@pytest.mark.django_db
def test_utz_accepts_nothing_new_and_is_succeeded_by_rainforest_alliance(utz, rainforest):
    assert utz.accepts_new_certifications is False
    assert utz.successor == rainforest
    assert list(rainforest.predecessors.all()) == [utz]
    assert rainforest.accepts_new_certifications is True
    assert rainforest.validity_months == 36


@pytest.mark.django_db
def test_only_organic_requires_a_conversion_period():
    assert list(Standard.objects.filter(requires_conversion=True).values_list("code", flat=True)) == ["organic"]


@pytest.mark.django_db
def test_the_database_refuses_a_standard_that_succeeds_itself(rainforest):
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.filter(pk=rainforest.pk).update(successor=rainforest)

    rainforest.refresh_from_db()
    assert rainforest.successor is None
