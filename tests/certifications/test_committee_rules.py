"""The committee's certification rules in certification_change_status and certification_create: an open
critical non-conformity blocks certification, organic needs its conversion, UTZ accepts nothing new."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from certifications.models import Certification, NonConformity
from certifications.services.certifications import certification_change_status, certification_create
from tests import factories

DAY = datetime.timedelta(days=1)


def certify(certification, staff, today, **kwargs):
    return certification_change_status(
        certification=certification,
        to_status="certified",
        occurred_on=today,
        reason="External audit passed",
        decided_by=staff,
        certificate_number="RA-PE-0042",
        valid_from=today,
        **kwargs,
    )


def close(non_conformity, staff, today):
    NonConformity.objects.filter(pk=non_conformity.pk).update(closed_on=today, verified_by=staff)


@pytest.fixture
def candidate(farm, rainforest, open_candidate):
    return open_candidate(farm=farm, standard=rainforest)


@pytest.mark.django_db
def test_it_refuses_to_certify_while_a_critical_non_conformity_is_open_naming_it_and_writes_nothing(
    candidate, rainforest, staff, today, rows_written
):
    factories.NonConformityFactory(
        inspection__farm=candidate.farm,
        standard=rainforest,
        severity="critical",
        requirement__code="RA-1.5",
        deadline=datetime.date(2027, 1, 31),
    )
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        certify(candidate, staff, today)

    assert refused.value.message_dict == {
        "to_status": [
            f"The farm {candidate.farm} has an open critical non-conformity under Rainforest Alliance: RA-1.5 "
            "(corrective action due 01/31/2027). It can be certified only once it is closed."
        ]
    }
    assert rows_written() == before
    candidate.refresh_from_db()
    assert (candidate.status, candidate.certificate_number) == ("candidate", "")


@pytest.mark.django_db
def test_the_refusal_lists_every_open_critical_non_conformity_soonest_deadline_first(
    candidate, rainforest, staff, today
):
    for code, deadline in (("RA-4.1", datetime.date(2027, 3, 1)), ("RA-1.5", datetime.date(2027, 1, 31))):
        factories.NonConformityFactory(
            inspection__farm=candidate.farm,
            standard=rainforest,
            severity="critical",
            requirement__code=code,
            deadline=deadline,
        )

    with pytest.raises(ValidationError) as refused:
        certify(candidate, staff, today)

    (message,) = refused.value.message_dict["to_status"]
    assert (
        "open critical non-conformities under Rainforest Alliance: RA-1.5 (corrective action due 01/31/2027); "
        "RA-4.1 (corrective action due 03/01/2027). It can be certified only once they are closed." in message
    )


@pytest.mark.django_db
def test_it_certifies_once_the_critical_non_conformity_is_closed(candidate, rainforest, staff, today):
    critical = factories.NonConformityFactory(inspection__farm=candidate.farm, standard=rainforest, severity="critical")
    close(critical, staff, today)

    certified = certify(candidate, staff, today)

    assert certified.status == "certified"
    assert certified.events.latest("id").to_status == "certified"


@pytest.mark.django_db
@pytest.mark.parametrize("severity", ["minor", "major"])
def test_an_open_minor_or_major_non_conformity_does_not_block_certification(
    candidate, rainforest, staff, today, severity
):
    factories.NonConformityFactory(inspection__farm=candidate.farm, standard=rainforest, severity=severity)

    assert certify(candidate, staff, today).status == "certified"


@pytest.mark.django_db
def test_a_critical_non_conformity_under_another_standard_or_of_another_farm_does_not_block(
    candidate, rainforest, organic, staff, today
):
    factories.NonConformityFactory(inspection__farm=candidate.farm, standard=organic, severity="critical")
    factories.NonConformityFactory(standard=rainforest, severity="critical")

    assert certify(candidate, staff, today).status == "certified"


@pytest.mark.django_db
def test_a_critical_non_conformity_also_blocks_reinstatement_but_not_a_sanction(
    candidate, rainforest, staff, today, rows_written
):
    certified = certify(candidate, staff, today - 10 * DAY)
    factories.NonConformityFactory(inspection__farm=candidate.farm, standard=rainforest, severity="critical")
    sanctioned = certification_change_status(
        certification=certified, to_status="sanctioned", occurred_on=today, reason="Critical finding", decided_by=staff
    )
    before = rows_written()

    with pytest.raises(ValidationError, match="open critical non-conformity"):
        certification_change_status(
            certification=sanctioned, to_status="certified", occurred_on=today, reason="Reinstated", decided_by=staff
        )

    assert rows_written() == before
    assert Certification.objects.get(pk=candidate.pk).status == "sanctioned"


@pytest.mark.django_db
def test_an_organic_candidate_cannot_go_straight_to_certified(
    farm, organic, staff, today, open_candidate, rows_written
):
    certification = open_candidate(farm=farm, standard=organic)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        certification_change_status(
            certification=certification,
            to_status="certified",
            occurred_on=today,
            reason="Audit",
            decided_by=staff,
            certificate_number="ORG-1",
            valid_from=today,
        )

    assert refused.value.message_dict == {
        "to_status": [
            f"{organic.name} requires a conversion period: put the farm in conversion (stage C1) and complete "
            "stage C3 before certifying it."
        ]
    }
    assert rows_written() == before


@pytest.mark.django_db
def test_no_new_utz_certification_is_opened_in_any_status(farm, utz, staff, today, rows_written):
    for status, stage in (("candidate", ""), ("in_conversion", "c1")):
        with pytest.raises(ValidationError) as refused:
            certification_create(
                farm=farm,
                standard=utz,
                decided_by=staff,
                occurred_on=today,
                reason="Old habit",
                status=status,
                conversion_stage=stage,
            )

        assert refused.value.message_dict["standard"] == [
            "UTZ Certified merged into Rainforest Alliance and accepts no new certifications. Rainforest Alliance "
            "status comes only from a Rainforest Alliance audit: open a Rainforest Alliance certification as a "
            "candidate. A past UTZ Certified certificate can be recorded as history."
        ]
    assert rows_written() == (0, 0)
