import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certifications.models import Certification, CertificationEvent
from certifications.services.certifications import certification_change_status, certification_create
from members.models import Farm, Member
from tests import factories


@pytest.mark.django_db
def test_it_opens_a_candidate_certification_with_its_first_event(farm, rainforest, staff, today):
    certification = certification_create(
        farm=farm,
        standard=rainforest,
        decided_by=staff,
        occurred_on=today,
        reason="Joined the RA group certification",
        certifier="Control Union Perú",
    )

    certification.refresh_from_db()
    assert (certification.farm, certification.standard, certification.status) == (farm, rainforest, "candidate")
    assert certification.conversion_stage == ""
    assert certification.certifier == "Control Union Perú"
    event = CertificationEvent.objects.get(certification=certification)
    assert (event.from_status, event.to_status, event.to_stage) == ("", "candidate", "")
    assert (event.occurred_on, event.reason, event.decided_by) == (today, "Joined the RA group certification", staff)
    assert certification.history.get().history_user == staff


@pytest.mark.django_db
def test_it_opens_an_organic_certification_in_conversion_at_c1(farm, organic, staff, today):
    certification = certification_create(
        farm=farm,
        standard=organic,
        decided_by=staff,
        occurred_on=today,
        reason="Last synthetic fertilizer applied last season",
        status="in_conversion",
        conversion_stage="c1",
    )

    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == ("in_conversion", "c1")
    event = certification.events.get()
    assert (event.from_status, event.to_status, event.to_stage) == ("", "in_conversion", "c1")


@pytest.mark.django_db
def test_it_refuses_a_new_utz_certification_and_writes_nothing(farm, utz, staff, today, rows_written):
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=utz, decided_by=staff, occurred_on=today, reason="Old habit")

    (message,) = refused.value.message_dict["standard"]
    assert "UTZ Certified merged into Rainforest Alliance" in message
    assert "Rainforest Alliance status comes only from a Rainforest Alliance audit" in message
    assert rows_written() == before == (0, 0)


@pytest.mark.django_db
def test_it_refuses_a_second_open_certification_for_the_same_farm_and_standard(
    farm, rainforest, staff, today, open_candidate, rows_written
):
    open_candidate(farm=farm, standard=rainforest)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Again")

    (message,) = refused.value.message_dict["standard"]
    assert "already has an open Rainforest Alliance certification (status: Candidate)" in message
    assert rows_written() == before == (1, 1)


@pytest.mark.django_db
def test_it_opens_a_new_certification_once_the_previous_one_is_closed(farm, rainforest, staff, today, open_candidate):
    first = open_candidate(farm=farm, standard=rainforest)
    certification_change_status(
        certification=first, to_status="withdrawn", occurred_on=today, reason="Member asked", decided_by=staff
    )

    second = certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Back")

    assert list(Certification.objects.filter(farm=farm).order_by("pk").values_list("status", flat=True)) == [
        "withdrawn",
        "candidate",
    ]
    assert second.events.count() == 1


@pytest.mark.django_db
def test_it_allows_one_open_certification_per_standard_on_the_same_farm(farm, rainforest, organic, open_candidate):
    open_candidate(farm=farm, standard=rainforest)
    open_candidate(farm=farm, standard=organic)

    assert Certification.objects.filter(farm=farm).count() == 2


@pytest.mark.django_db
def test_it_refuses_a_retired_farm(rainforest, staff, today, rows_written):
    farm = factories.FarmFactory(status=Farm.Status.RETIRED)

    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Census")

    assert refused.value.message_dict["farm"] == [f"The farm {farm} is retired."]
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_a_farm_whose_member_withdrew(rainforest, staff, today, rows_written):
    member = factories.MemberFactory(status=Member.Status.WITHDRAWN, withdrawn_on=datetime.date(2025, 3, 31))
    farm = factories.FarmFactory(member=member)

    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Census")

    (message,) = refused.value.message_dict["farm"]
    assert message.startswith(f"{member} withdrew from the cooperative on ")
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_a_date_in_the_future(farm, rainforest, staff, today, rows_written):
    with pytest.raises(ValidationError) as refused:
        certification_create(
            farm=farm,
            standard=rainforest,
            decided_by=staff,
            occurred_on=today + datetime.timedelta(days=1),
            reason="Planned",
        )

    assert refused.value.message_dict == {"occurred_on": ["The date cannot be in the future."]}
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_an_empty_reason(farm, rainforest, staff, today, rows_written):
    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="   ")

    assert refused.value.message_dict == {"reason": ["Give the reason for this decision."]}
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_cafe_practices_for_a_cocoa_farm(farm, cafe, staff, today, rows_written):
    assert farm.crop == "cocoa"

    with pytest.raises(ValidationError) as refused:
        certification_create(farm=farm, standard=cafe, decided_by=staff, occurred_on=today, reason="Buyer asked")

    assert refused.value.message_dict["standard"] == [
        f"C.A.F.E. Practices is a coffee-only standard; the farm {farm} grows cocoa."
    ]
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_opens_cafe_practices_for_a_coffee_farm(coffee_farm, cafe, staff, today):
    certification = certification_create(
        farm=coffee_farm, standard=cafe, decided_by=staff, occurred_on=today, reason="Starbucks supply chain"
    )

    assert Certification.objects.get(pk=certification.pk).standard == cafe


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("standard_code", "status", "stage", "field", "message"),
    [
        ("rainforest_alliance", "in_conversion", "c1", "status", "Rainforest Alliance has no conversion period."),
        ("organic", "in_conversion", "c2", "conversion_stage", "A conversion starts at stage C1 (first year)."),
        ("organic", "in_conversion", "", "conversion_stage", "A conversion starts at stage C1 (first year)."),
        (
            "organic",
            "candidate",
            "c1",
            "conversion_stage",
            "A conversion stage applies only to a certification in conversion.",
        ),
        (
            "rainforest_alliance",
            "certified",
            "",
            "status",
            "A certification opens as Candidate or In conversion; later statuses come from status changes.",
        ),
    ],
)
def test_it_refuses_an_opening_status_or_stage_that_does_not_fit(
    farm, staff, today, rows_written, standard_code, status, stage, field, message
):
    with pytest.raises(ValidationError) as refused:
        certification_create(
            farm=farm,
            standard=factories.standard(standard_code),
            decided_by=staff,
            occurred_on=today,
            reason="Census",
            status=status,
            conversion_stage=stage,
        )

    assert refused.value.message_dict == {field: [message]}
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_it_locks_the_farm_before_checking_for_an_open_certification(on_postgres, farm, rainforest, staff, today):
    with CaptureQueriesContext(connection) as queries:
        certification_create(farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Census")

    # Two staff opening the same certification at once queue on the farm row instead of racing.
    first_read = next(query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT"))
    assert first_read.startswith('SELECT "members_farm"."id"')
    assert first_read.endswith('FOR UPDATE OF "members_farm"')
    assert Certification.objects.filter(farm=farm, standard=rainforest, status="candidate").count() == 1
