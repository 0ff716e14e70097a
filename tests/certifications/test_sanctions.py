"""Sanctions: sanction_impose changes the status through certification_change_status (a linked event) or
leaves it (warning); sanction_lift ends a sanction and may reinstate. Refusals write nothing."""

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format

from certifications.models import Certification, CertificationEvent, Sanction
from certifications.services import sanctions
from certifications.services.certifications import certification_change_status, certification_create
from tests import factories

DAY = datetime.timedelta(days=1)


@pytest.fixture
def written() -> Callable[[], tuple[int, int]]:
    """(events, sanctions) in the database, to show that a refused call wrote nothing."""
    return lambda: (CertificationEvent.objects.count(), Sanction.objects.count())


@pytest.fixture
def certified(farm, rainforest, open_candidate, certify, today) -> Certification:
    return certify(open_candidate(farm=farm, standard=rainforest), occurred_on=today - 30 * DAY)


def impose(certification, staff, kind, starts_on, **kwargs) -> Sanction:
    return sanctions.sanction_impose(
        certification=certification,
        kind=kind,
        starts_on=starts_on,
        ends_on=kwargs.pop("ends_on", None),
        reason=kwargs.pop("reason", f"Committee: {kind}"),
        decided_by=staff,
        **kwargs,
    )


def short(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def status_of(certification) -> str:
    return Certification.objects.get(pk=certification.pk).status


# -- Imposing ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_warning_is_recorded_without_changing_the_status(certified, staff, today, written):
    before = written()

    sanction = impose(certified, staff, "warning", today, ends_on=today + 90 * DAY, reason=" Late records ")

    sanction.refresh_from_db()
    assert (sanction.kind, sanction.starts_on, sanction.ends_on) == ("warning", today, today + 90 * DAY)
    assert (sanction.reason, sanction.decided_by, sanction.event) == ("Late records", staff, None)
    assert status_of(certified) == "certified"
    assert written() == (before[0], before[1] + 1)
    assert sanction.history.get().history_user == staff


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "status"), [("sales_block", "sanctioned"), ("suspension", "suspended"), ("exclusion", "excluded")]
)
def test_a_sanction_changes_the_status_through_a_linked_event(certified, staff, today, kind, status):
    sanction = impose(certified, staff, kind, today, reason="Herbicide found on the plot")

    assert status_of(certified) == status
    event = sanction.event
    assert event == certified.events.latest("id")
    assert (event.from_status, event.to_status, event.occurred_on) == ("certified", status, today)
    assert (event.reason, event.decided_by) == ("Herbicide found on the plot", staff)
    assert event.sanction == sanction


@pytest.mark.django_db
def test_a_sanction_may_answer_a_non_conformity_of_the_farm_under_the_standard(certified, rainforest, staff, today):
    finding = factories.NonConformityFactory(inspection__farm=certified.farm, standard=rainforest, severity="major")

    sanction = impose(certified, staff, "warning", today, non_conformity=finding)

    assert sanction.non_conformity == finding


@pytest.mark.django_db
def test_an_exclusion_is_allowed_from_candidate(farm, rainforest, open_candidate, staff, today):
    candidate = open_candidate(farm=farm, standard=rainforest)

    impose(candidate, staff, "exclusion", today)

    assert status_of(candidate) == "excluded"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "sales_block",
            "Sales block refused: A certification cannot go from “Candidate” to “Sanctioned”. From “Candidate” it "
            "can go to: “In conversion”, “Certified”, “Excluded”, “Withdrawn”.",
        ),
        (
            "suspension",
            "Suspension refused: A certification cannot go from “Candidate” to “Suspended”. From “Candidate” it "
            "can go to: “In conversion”, “Certified”, “Excluded”, “Withdrawn”.",
        ),
    ],
)
def test_a_sanction_whose_status_change_is_not_allowed_is_refused_and_writes_nothing(
    farm, rainforest, open_candidate, staff, today, written, kind, message
):
    candidate = open_candidate(farm=farm, standard=rainforest)
    before = written()

    with pytest.raises(ValidationError) as refused:
        impose(candidate, staff, kind, today)

    assert refused.value.message_dict == {"kind": [message]}
    assert written() == before
    assert status_of(candidate) == "candidate"


@pytest.mark.django_db
def test_a_second_sales_block_is_refused_while_the_first_holds(certified, staff, today, written):
    impose(certified, staff, "sales_block", today - DAY)
    before = written()

    with pytest.raises(ValidationError, match="cannot go from “Sanctioned” to “Sanctioned”"):
        impose(certified, staff, "sales_block", today)

    assert written() == before


@pytest.mark.django_db
def test_no_sanction_on_a_closed_certification(certified, staff, today, written):
    certification_change_status(
        certification=certified, to_status="withdrawn", occurred_on=today, reason="Left", decided_by=staff
    )
    before = written()

    with pytest.raises(ValidationError) as refused:
        impose(certified, staff, "warning", today)

    assert refused.value.messages == ["This certification is closed (“Withdrawn”): no sanction can be imposed on it."]
    assert written() == before


@pytest.mark.django_db
def test_no_sanction_on_a_utz_record(farm, utz, staff, written):
    utz_record = factories.CertificationFactory(farm=farm, standard=utz, status="certified")
    before = written()

    with pytest.raises(ValidationError, match="UTZ Certified records are read-only history"):
        impose(utz_record, staff, "warning", datetime.date(2022, 1, 10))

    assert written() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "changes", "errors"),
    [
        ("warning", {"reason": "  "}, {"reason": ["Give the reason for this decision."]}),
        ("warning", {"starts_on": 1}, {"starts_on": ["The date cannot be in the future."]}),
        ("warning", {"ends_on": -1}, {"ends_on": ["The end of the sanction cannot be before its start."]}),
        (
            "suspension",
            {"ends_on": 180},
            {"ends_on": ["A suspension holds until the committee lifts it: leave the end date empty."]},
        ),
        ("exclusion", {"ends_on": 180}, {"ends_on": ["An exclusion is final: it has no end date."]}),
        (
            "sales_block",
            {"starts_on": -60},
            {"starts_on": ["The date cannot be before the last recorded change of this certification ({-30})."]},
        ),
    ],
)
def test_bad_sanction_inputs_are_refused_on_their_field_and_write_nothing(
    certified, staff, today, written, kind, changes, errors
):
    arguments = {"starts_on": today, "ends_on": None, "reason": "Committee decision"}
    for field, value in changes.items():
        arguments[field] = today + value * DAY if isinstance(value, int) else value
    before = written()

    with pytest.raises(ValidationError) as refused:
        sanctions.sanction_impose(certification=certified, kind=kind, decided_by=staff, **arguments)

    assert refused.value.message_dict == {
        field: [message.replace("{-30}", short(today - 30 * DAY)) for message in messages]
        for field, messages in errors.items()
    }
    assert written() == before
    assert status_of(certified) == "certified"


@pytest.mark.django_db
def test_a_non_conformity_of_another_farm_is_refused(certified, rainforest, staff, today, written):
    elsewhere = factories.NonConformityFactory(standard=rainforest)
    before = written()

    with pytest.raises(ValidationError) as refused:
        impose(certified, staff, "sales_block", today, non_conformity=elsewhere)

    assert refused.value.message_dict == {
        "non_conformity": ["The non-conformity must be one of this farm's under Rainforest Alliance."]
    }
    assert written() == before


@pytest.mark.django_db
def test_the_status_change_is_undone_when_the_sanction_cannot_be_saved(certified, staff, today, written, monkeypatch):
    before = written()

    def refuse(self, *args, **kwargs):
        raise ValidationError({"reason": "refused at the last step"})

    monkeypatch.setattr(Sanction, "full_clean", refuse)
    with pytest.raises(ValidationError):
        impose(certified, staff, "suspension", today)

    assert written() == before
    assert status_of(certified) == "certified"


# -- Lifting ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lifting_a_sales_block_reinstates_the_certificate(certified, staff, today):
    sanction = impose(certified, staff, "sales_block", today - 10 * DAY)

    lifted = sanctions.sanction_lift(
        sanction=sanction, ends_on=today, reason="Corrective action verified", decided_by=staff
    )

    assert lifted.ends_on == today
    certification = Certification.objects.get(pk=certified.pk)
    assert (certification.status, certification.certificate_number) == ("certified", "RA-2026-0001")
    event = certification.events.latest("id")
    assert (event.from_status, event.to_status, event.occurred_on) == ("sanctioned", "certified", today)
    assert (event.reason, event.decided_by) == ("Corrective action verified", staff)
    record = lifted.history.latest()
    assert (record.history_user, record.history_change_reason) == (staff, "Corrective action verified")


@pytest.mark.django_db
def test_lifting_a_suspension_during_conversion_restarts_it_at_c1(farm, organic, staff, today):
    conversion = certification_create(
        farm=farm,
        standard=organic,
        decided_by=staff,
        occurred_on=today - 400 * DAY,
        reason="Conversion plan signed",
        status="in_conversion",
        conversion_stage="c1",
    )
    conversion = certification_change_status(
        certification=conversion,
        to_status="in_conversion",
        conversion_stage="c2",
        occurred_on=today - 30 * DAY,
        reason="Second year",
        decided_by=staff,
    )
    sanction = impose(conversion, staff, "suspension", today - 10 * DAY)

    sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Buffer zone restored", decided_by=staff)

    conversion.refresh_from_db()
    assert (conversion.status, conversion.conversion_stage) == ("in_conversion", "c1")


@pytest.mark.django_db
def test_lifting_without_reinstatement_leaves_the_status(certified, staff, today, written):
    sanction = impose(certified, staff, "suspension", today - 10 * DAY)
    before = written()

    sanctions.sanction_lift(
        sanction=sanction, ends_on=today, reason="Ends; status decided later", decided_by=staff, reinstate=False
    )

    sanction.refresh_from_db()
    assert sanction.ends_on == today
    assert status_of(certified) == "suspended"
    assert written() == before


@pytest.mark.django_db
def test_lifting_a_warning_only_ends_it(certified, staff, today, written):
    sanction = impose(certified, staff, "warning", today - 10 * DAY, ends_on=today + 60 * DAY)
    before = written()

    sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Records now complete", decided_by=staff)

    sanction.refresh_from_db()
    assert sanction.ends_on == today
    assert written() == before
    assert status_of(certified) == "certified"


@pytest.mark.django_db
def test_reinstatement_is_refused_while_a_critical_non_conformity_is_open(certified, rainforest, staff, today, written):
    sanction = impose(certified, staff, "sales_block", today - 10 * DAY)
    factories.NonConformityFactory(
        inspection__farm=certified.farm, standard=rainforest, severity="critical", requirement__code="RA-1.5"
    )
    before = written()

    with pytest.raises(ValidationError) as refused:
        sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Too early", decided_by=staff)

    (message,) = refused.value.message_dict["reinstate"]
    assert "open critical non-conformity under Rainforest Alliance: RA-1.5" in message
    assert written() == before
    sanction.refresh_from_db()
    assert sanction.ends_on is None
    assert status_of(certified) == "sanctioned"


@pytest.mark.django_db
def test_reinstatement_is_refused_while_another_sanction_holds(certified, staff, today, written):
    block = impose(certified, staff, "sales_block", today - 10 * DAY)
    impose(certified, staff, "suspension", today - 5 * DAY)
    before = written()

    with pytest.raises(ValidationError) as refused:
        sanctions.sanction_lift(sanction=block, ends_on=today, reason="Paid", decided_by=staff)

    assert refused.value.message_dict == {
        "reinstate": [
            "The certification is now “Suspended”, no longer “Sanctioned” as this sanction left it, so lifting it "
            "cannot reinstate it. Lift it without reinstatement."
        ]
    }
    assert written() == before


@pytest.mark.django_db
def test_an_exclusion_cannot_be_lifted(certified, staff, today, written):
    sanction = impose(certified, staff, "exclusion", today - 10 * DAY)
    before = written()

    with pytest.raises(ValidationError, match="An exclusion is final and cannot be lifted"):
        sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Second chance", decided_by=staff)

    assert written() == before
    assert status_of(certified) == "excluded"


@pytest.mark.django_db
def test_a_sanction_cannot_be_lifted_twice_nor_before_it_started(certified, staff, today):
    sanction = impose(certified, staff, "suspension", today - 10 * DAY)

    with pytest.raises(ValidationError) as too_early:
        sanctions.sanction_lift(sanction=sanction, ends_on=today - 11 * DAY, reason="Typo", decided_by=staff)
    sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Done", decided_by=staff)
    with pytest.raises(ValidationError) as twice:
        sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Again", decided_by=staff)

    assert too_early.value.message_dict["ends_on"] == [
        f"A sanction cannot be lifted before it started ({short(today - 10 * DAY)})."
    ]
    assert twice.value.messages == [f"This sanction already ended on {short(today)}."]
    assert status_of(certified) == "certified"
    assert certified.events.filter(to_status="certified").count() == 2


@pytest.mark.django_db
def test_imposing_and_lifting_lock_their_rows_before_any_check(on_postgres, certified, staff, today):
    with CaptureQueriesContext(connection) as imposing:
        sanction = impose(certified, staff, "suspension", today - DAY)
    with CaptureQueriesContext(connection) as lifting:
        sanctions.sanction_lift(sanction=sanction, ends_on=today, reason="Verified", decided_by=staff)

    reads = [query["sql"] for query in imposing.captured_queries if query["sql"].startswith("SELECT")]
    assert reads[0].endswith('FOR UPDATE OF "certifications_certification"')
    reads = [query["sql"] for query in lifting.captured_queries if query["sql"].startswith("SELECT")]
    assert reads[0].endswith('FOR UPDATE OF "certifications_sanction"')
    assert reads[1].endswith('FOR UPDATE OF "certifications_certification"')
