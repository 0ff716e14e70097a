"""Closing the non-conformities an inspection raised (certifications.services.non_conformities): verified by
someone other than the inspector who raised them and without a conflict of interest, once, on a date between
the inspection and today.

The seeded checklists (migration 0005) are the ones answered: `record` (tests/certifications/conftest.py)
answers every requirement.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from certifications.models import NonConformity
from certifications.services.non_conformities import non_conformity_close
from tests.certifications.conftest import certified_farm, make_inspector, record
from tests.conftest import run_together
from tests.factories import InspectorConflictFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# -- closing non-conformities ---------------------------------------------------------------------------------


@pytest.fixture
def open_nc(candidate_farm, inspector, today) -> NonConformity:
    record(candidate_farm, "organic", inspector=inspector, inspected_on=today - 10 * DAY, non_compliant=("ORG-08",))
    return NonConformity.objects.get()


@pytest.fixture
def verifier():
    return make_inspector("coordinadora", role="ics_coordinator")


def test_it_closes_a_non_conformity_verified_by_someone_else(open_nc, verifier, today):
    closed = non_conformity_close(
        non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note=" Sin urea en el almacén "
    )

    open_nc.refresh_from_db()
    assert (open_nc.closed_on, open_nc.verified_by, open_nc.closing_note) == (today, verifier, "Sin urea en el almacén")
    assert closed.pk == open_nc.pk and not closed.is_open
    assert open_nc.history.first().history_user == verifier


def test_closing_twice_is_refused_even_from_a_stale_copy(open_nc, verifier, today):
    stale = NonConformity.objects.get(pk=open_nc.pk)
    non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note="Verificado")
    other = make_inspector("gerente2", role="manager")

    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=stale, closed_on=today, verified_by=other, closing_note="Otra vez")

    assert error.value.messages == [
        f"This non-conformity was already closed on {today:%m/%d/%Y} by Coordinadora Quispe."
    ]
    open_nc.refresh_from_db()
    assert (open_nc.verified_by, open_nc.closing_note) == (verifier, "Verificado")


def test_the_inspector_who_raised_it_cannot_verify_it(open_nc, inspector, today):
    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=inspector, closing_note="Listo")

    assert error.value.message_dict["verified_by"] == [
        "Inspectora Quispe raised this non-conformity: another person must verify its correction."
    ]
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_a_verifier_with_a_conflict_of_interest_cannot_verify_it(open_nc, verifier, today):
    InspectorConflictFactory(inspector=verifier, member=open_nc.farm.member, relationship="relative")

    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note="Listo")

    (message,) = error.value.message_dict["verified_by"]
    assert "(relative)" in message and "may not verify this correction" in message
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_it_refuses_a_closing_date_before_the_inspection_or_in_the_future_and_an_empty_note(open_nc, verifier, today):
    for closed_on, field, expected in [
        (today - 11 * DAY, "closed_on", "cannot be closed before that"),
        (today + DAY, "closed_on", "The date cannot be in the future."),
    ]:
        with pytest.raises(ValidationError) as error:
            non_conformity_close(non_conformity=open_nc, closed_on=closed_on, verified_by=verifier, closing_note=" ")
        assert expected in error.value.message_dict[field][0]
        assert error.value.message_dict["closing_note"] == ["Describe how the correction was verified."]
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_it_closes_on_the_inspection_day(open_nc, verifier):
    non_conformity_close(
        non_conformity=open_nc, closed_on=open_nc.inspection.inspected_on, verified_by=verifier, closing_note="Ok"
    )

    open_nc.refresh_from_db()
    assert open_nc.closed_on == open_nc.inspection.inspected_on


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_closing_at_once_close_it_once(on_postgres, reference_data):
    """Real row locks: the second close waits for the first, then sees it closed."""
    farm = certified_farm("organic")
    raised_by = make_inspector("raiser")
    record(farm, "organic", inspector=raised_by, non_compliant=("ORG-08",))
    nc = NonConformity.objects.get()
    people = [make_inspector("uno", role="ics_coordinator"), make_inspector("dos", role="ics_coordinator")]

    def close(person):
        return lambda: non_conformity_close(
            non_conformity=nc, closed_on=timezone.localdate(), verified_by=person, closing_note="Verificado"
        )

    closed, errors = run_together(*(close(person) for person in people))

    assert (len(closed), len(errors)) == (1, 1)
    assert errors[0].messages[0].startswith("This non-conformity was already closed on ")
    assert NonConformity.history.filter(closed_on__isnull=False).count() == 1
