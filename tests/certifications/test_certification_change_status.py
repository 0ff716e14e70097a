import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certifications.models import Certification, CertificationEvent
from certifications.services.certifications import certification_change_status, certification_create
from members.models import Farm
from tests import factories

DAY = datetime.timedelta(days=1)


def change(certification, staff, to_status, occurred_on, **kwargs):
    return certification_change_status(
        certification=certification,
        to_status=to_status,
        occurred_on=occurred_on,
        reason=kwargs.pop("reason", f"Committee decision: {to_status}"),
        decided_by=staff,
        **kwargs,
    )


def in_conversion(farm, organic, staff, started_on):
    return certification_create(
        farm=farm,
        standard=organic,
        decided_by=staff,
        occurred_on=started_on,
        reason="Conversion plan signed",
        status="in_conversion",
        conversion_stage="c1",
    )


@pytest.mark.django_db
def test_it_certifies_a_candidate_with_the_standards_default_validity(farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)
    valid_from = datetime.date(2026, 1, 15)

    updated = change(certification, staff, "certified", today, certificate_number=" RA-PE-0042 ", valid_from=valid_from)

    certification.refresh_from_db()
    assert updated == certification
    assert certification.status == "certified"
    assert certification.certificate_number == "RA-PE-0042"
    # Three years of validity: the last valid day is the day before the third anniversary.
    assert (certification.valid_from, certification.valid_until) == (valid_from, datetime.date(2029, 1, 14))
    event = certification.events.latest("id")
    assert (event.from_status, event.to_status, event.occurred_on) == ("candidate", "certified", today)
    assert (event.reason, event.decided_by) == ("Committee decision: certified", staff)


@pytest.mark.django_db
def test_it_keeps_a_valid_until_that_is_given(farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    change(
        certification,
        staff,
        "certified",
        today,
        certificate_number="RA-PE-0042",
        valid_from=today,
        valid_until=today + 700 * DAY,
    )

    certification.refresh_from_db()
    assert certification.valid_until == today + 700 * DAY


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "to_status", "message"),
    [
        (
            ["withdrawn"],
            "certified",
            "A certification cannot go from “Withdrawn” to “Certified”: “Withdrawn” is final. "
            "Open a new certification instead.",
        ),
        (
            [],
            "expired",
            "A certification cannot go from “Candidate” to “Expired”. From “Candidate” it can go to: "
            "“In conversion”, “Certified”, “Excluded”, “Withdrawn”.",
        ),
        (
            [],
            "sanctioned",
            "A certification cannot go from “Candidate” to “Sanctioned”. From “Candidate” it can go to: "
            "“In conversion”, “Certified”, “Excluded”, “Withdrawn”.",
        ),
    ],
)
def test_it_refuses_a_status_jump_outside_the_lifecycle_and_writes_nothing(
    farm, rainforest, staff, today, open_candidate, rows_written, path, to_status, message
):
    certification = open_candidate(farm=farm, standard=rainforest)
    for status in path:
        change(certification, staff, status, today)
    status_before = Certification.objects.get(pk=certification.pk).status
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, to_status, today, certificate_number="RA-1", valid_from=today)

    assert refused.value.messages == [message]
    assert rows_written() == before
    assert Certification.objects.get(pk=certification.pk).status == status_before


@pytest.mark.django_db
def test_it_refuses_to_certify_an_organic_candidate_without_conversion(
    farm, organic, staff, today, open_candidate, rows_written
):
    certification = open_candidate(farm=farm, standard=organic)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "certified", today, certificate_number="ORG-1", valid_from=today)

    (message,) = refused.value.message_dict["to_status"]
    assert "requires a conversion period" in message
    assert rows_written() == before
    certification.refresh_from_db()
    assert (certification.status, certification.certificate_number) == ("candidate", "")


@pytest.mark.django_db
def test_organic_conversion_advances_c1_c2_c3_and_then_certifies(farm, organic, staff, today):
    start = today - 3 * 366 * DAY
    certification = in_conversion(farm, organic, staff, start)

    change(certification, staff, "in_conversion", start + 366 * DAY, conversion_stage="c2")
    change(certification, staff, "in_conversion", start + 2 * 366 * DAY, conversion_stage="c3")
    change(certification, staff, "certified", today, certificate_number="ORG-PE-7", valid_from=today)

    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == ("certified", "")
    assert (certification.certificate_number, certification.valid_from) == ("ORG-PE-7", today)
    assert list(certification.events.values_list("from_status", "to_status", "to_stage")) == [
        ("", "in_conversion", "c1"),
        ("in_conversion", "in_conversion", "c2"),
        ("in_conversion", "in_conversion", "c3"),
        ("in_conversion", "certified", ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("c3", "Conversion advances one stage at a time: from C1 (first year) the next stage is C2 (second year)."),
        ("c1", "Conversion advances one stage at a time: from C1 (first year) the next stage is C2 (second year)."),
        ("", "Choose the conversion stage (C1, C2 or C3)."),
    ],
)
def test_conversion_cannot_skip_repeat_or_omit_a_stage(farm, organic, staff, today, rows_written, stage, message):
    certification = in_conversion(farm, organic, staff, today - 400 * DAY)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "in_conversion", today, conversion_stage=stage)

    assert refused.value.message_dict == {"conversion_stage": [message]}
    assert rows_written() == before
    certification.refresh_from_db()
    assert certification.conversion_stage == "c1"


@pytest.mark.django_db
def test_conversion_does_not_go_past_c3(farm, organic, staff, today):
    certification = in_conversion(farm, organic, staff, today - 800 * DAY)
    change(certification, staff, "in_conversion", today - 400 * DAY, conversion_stage="c2")
    change(certification, staff, "in_conversion", today - 30 * DAY, conversion_stage="c3")

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "in_conversion", today, conversion_stage="c3")

    assert refused.value.message_dict["conversion_stage"] == [
        "The farm is already at the last conversion stage (C3 (third year)); the next step is certification."
    ]


@pytest.mark.django_db
def test_an_organic_farm_at_c2_cannot_be_certified(farm, organic, staff, today, rows_written):
    certification = in_conversion(farm, organic, staff, today - 400 * DAY)
    change(certification, staff, "in_conversion", today - 30 * DAY, conversion_stage="c2")
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "certified", today, certificate_number="ORG-1", valid_from=today)

    (message,) = refused.value.message_dict["to_status"]
    assert "the farm is at C2 (second year) and can be certified only after stage C3" in message
    assert rows_written() == before


@pytest.mark.django_db
def test_a_standard_without_conversion_cannot_enter_conversion(farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "in_conversion", today, conversion_stage="c1")

    assert refused.value.message_dict == {"to_status": ["Rainforest Alliance has no conversion period."]}
    certification.refresh_from_db()
    assert certification.status == "candidate"


@pytest.mark.django_db
def test_leaving_conversion_clears_the_stage(farm, organic, staff, today):
    certification = in_conversion(farm, organic, staff, today - 100 * DAY)

    change(certification, staff, "suspended", today)

    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == ("suspended", "")
    assert certification.events.latest("id").to_stage == ""


@pytest.mark.django_db
def test_an_organic_farm_sanctioned_during_conversion_cannot_be_reinstated_as_certified(
    farm, organic, staff, today, rows_written
):
    certification = in_conversion(farm, organic, staff, today - 100 * DAY)
    change(certification, staff, "sanctioned", today - 10 * DAY)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "certified", today, certificate_number="ORG-1", valid_from=today)

    assert refused.value.message_dict["to_status"] == [
        "This certification was never certified, so it cannot be reinstated as certified."
    ]
    assert rows_written() == before


@pytest.mark.django_db
def test_a_sanctioned_certification_is_reinstated_with_its_certificate(
    farm, rainforest, staff, today, open_candidate, certify
):
    certification = certify(open_candidate(farm=farm, standard=rainforest), occurred_on=today - 200 * DAY)
    valid_until = certification.valid_until
    change(certification, staff, "sanctioned", today - 100 * DAY)

    change(certification, staff, "certified", today, reason="Corrective actions verified")

    certification.refresh_from_db()
    assert certification.status == "certified"
    assert (certification.certificate_number, certification.valid_until) == ("RA-2026-0001", valid_until)
    assert list(certification.events.values_list("to_status", flat=True)) == [
        "candidate",
        "certified",
        "sanctioned",
        "certified",
    ]


@pytest.mark.django_db
def test_becoming_certified_requires_the_certificate_number_and_start(
    farm, rainforest, staff, today, open_candidate, rows_written
):
    certification = open_candidate(farm=farm, standard=rainforest)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "certified", today)

    assert refused.value.message_dict == {
        "certificate_number": ["Give the certificate number."],
        "valid_from": ["Give the date the certificate is valid from."],
    }
    assert rows_written() == before


@pytest.mark.django_db
def test_it_refuses_a_validity_that_ends_before_it_starts(farm, rainforest, staff, today, open_candidate, rows_written):
    certification = open_candidate(farm=farm, standard=rainforest)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(
            certification,
            staff,
            "certified",
            today,
            certificate_number="RA-1",
            valid_from=today,
            valid_until=today - DAY,
        )

    assert refused.value.message_dict == {"valid_until": ["The end of validity cannot be before its start."]}
    assert rows_written() == before
    certification.refresh_from_db()
    assert (certification.status, certification.valid_from) == ("candidate", None)


@pytest.mark.django_db
def test_it_refuses_certificate_details_for_a_status_other_than_certified(
    farm, rainforest, staff, today, open_candidate
):
    certification = open_candidate(farm=farm, standard=rainforest)

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "withdrawn", today, certificate_number="RA-1")

    assert list(refused.value.message_dict) == ["certificate_number"]


@pytest.mark.django_db
def test_it_refuses_a_date_before_the_last_change_or_in_the_future(
    farm, rainforest, staff, today, open_candidate, rows_written
):
    certification = open_candidate(farm=farm, standard=rainforest, days_ago=10)
    before = rows_written()

    with pytest.raises(ValidationError) as earlier:
        change(certification, staff, "withdrawn", today - 11 * DAY)
    with pytest.raises(ValidationError) as later:
        change(certification, staff, "withdrawn", today + DAY)

    (message,) = earlier.value.message_dict["occurred_on"]
    assert message.startswith("The date cannot be before the last recorded change of this certification")
    assert later.value.message_dict == {"occurred_on": ["The date cannot be in the future."]}
    assert rows_written() == before


@pytest.mark.django_db
def test_it_refuses_an_empty_reason(farm, rainforest, staff, today, open_candidate, rows_written):
    certification = open_candidate(farm=farm, standard=rainforest)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "withdrawn", today, reason="")

    assert refused.value.message_dict == {"reason": ["Give the reason for this decision."]}
    assert rows_written() == before


@pytest.mark.django_db
def test_a_retired_farm_can_be_withdrawn_but_not_certified(rainforest, staff, today, open_candidate):
    farm = factories.FarmFactory()
    certification = open_candidate(farm=farm, standard=rainforest)
    Farm.objects.filter(pk=farm.pk).update(status=Farm.Status.RETIRED)

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "certified", today, certificate_number="RA-1", valid_from=today)
    change(certification, staff, "withdrawn", today, reason="Plot sold")

    assert refused.value.message_dict["to_status"] == [f"The farm {farm} is retired."]
    certification.refresh_from_db()
    assert certification.status == "withdrawn"


@pytest.mark.django_db
def test_a_certificate_cannot_expire_before_its_end_of_validity(
    farm, rainforest, staff, today, open_candidate, certify, rows_written
):
    certification = certify(open_candidate(farm=farm, standard=rainforest))
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        change(certification, staff, "expired", today)

    (message,) = refused.value.message_dict["occurred_on"]
    assert "cannot expire before then; to end it early, record it as withdrawn or excluded" in message
    assert rows_written() == before


@pytest.mark.django_db
def test_every_change_is_an_event_and_the_status_follows_the_last_one(
    farm, rainforest, staff, today, open_candidate, certify
):
    certification = certify(open_candidate(farm=farm, standard=rainforest), occurred_on=today - 50 * DAY)
    change(certification, staff, "suspended", today - 20 * DAY)
    change(certification, staff, "excluded", today)

    certification.refresh_from_db()
    events = list(CertificationEvent.objects.filter(certification=certification))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "candidate"),
        ("candidate", "certified"),
        ("certified", "suspended"),
        ("suspended", "excluded"),
    ]
    assert all(e.decided_by == staff for e in events)
    assert certification.status == events[-1].to_status == "excluded"
    assert certification.history.count() == 4


@pytest.mark.django_db
def test_it_locks_the_certification_row_before_deciding(on_postgres, farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    with CaptureQueriesContext(connection) as queries:
        change(certification, staff, "withdrawn", today)

    # The first read of the call (after its savepoint) is the locking one, before any check.
    first_read = next(query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT"))
    assert first_read.startswith('SELECT "certifications_certification"."id"')
    assert first_read.endswith('FOR UPDATE OF "certifications_certification"')
    certification.refresh_from_db()
    assert certification.status == "withdrawn"


@pytest.mark.django_db
def test_an_organic_farm_sanctioned_during_conversion_restarts_it_at_c1():
    from certifications.models import CertificationStatus
    from certifications.services.certifications import certification_change_status, certification_create
    from tests.factories import FarmFactory, UserFactory, standard

    decider = UserFactory(username="comite")
    certification = certification_create(
        farm=FarmFactory(crop="coffee"),
        standard=standard("organic"),
        decided_by=decider,
        occurred_on=datetime.date(2024, 1, 10),
        reason="Inscripción",
    )
    for to_status, stage, day in [
        ("in_conversion", "c1", datetime.date(2024, 2, 1)),
        ("in_conversion", "c2", datetime.date(2025, 2, 1)),
        ("sanctioned", "", datetime.date(2025, 6, 1)),
    ]:
        certification = certification_change_status(
            certification=certification,
            to_status=to_status,
            conversion_stage=stage,
            occurred_on=day,
            reason="Decisión del comité",
            decided_by=decider,
        )

    certification = certification_change_status(
        certification=certification,
        to_status="in_conversion",
        conversion_stage="c1",
        occurred_on=datetime.date(2025, 9, 1),
        reason="Sanción levantada; el periodo de conversión se reinicia",
        decided_by=decider,
    )

    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == (CertificationStatus.IN_CONVERSION, "c1")
    assert certification.events.count() == 5
