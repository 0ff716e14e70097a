import datetime

import pytest
from django.core.exceptions import ValidationError

from certifications.models import Certification, CertificationEvent
from certifications.services.certifications import (
    certification_change_status,
    certification_expire_due,
    certification_import_history,
)
from members.models import Member
from tests import factories

DAY = datetime.timedelta(days=1)


def import_utz(farm, utz, staff, valid_from=datetime.date(2017, 5, 1), valid_until=datetime.date(2018, 4, 30)):
    return certification_import_history(
        farm=farm,
        standard=utz,
        certificate_number="UTZ-PE-2017-118",
        certifier="Control Union Perú",
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=staff,
        reason="Copied from the 2017 UTZ certificate in the office archive",
    )


@pytest.mark.django_db
def test_utz_history_is_imported_as_an_expired_certification_with_two_events(farm, utz, staff):
    certification = import_utz(farm, utz, staff)

    certification.refresh_from_db()
    assert (certification.standard, certification.status) == (utz, "expired")
    assert (certification.certificate_number, certification.certifier) == ("UTZ-PE-2017-118", "Control Union Perú")
    assert (certification.valid_from, certification.valid_until) == (
        datetime.date(2017, 5, 1),
        datetime.date(2018, 4, 30),
    )
    assert list(certification.events.values_list("from_status", "to_status", "occurred_on", "decided_by")) == [
        ("", "certified", datetime.date(2017, 5, 1), staff.pk),
        ("certified", "expired", datetime.date(2018, 4, 30), staff.pk),
    ]
    assert certification.events.last().reason == "Validity ended"


@pytest.mark.django_db
def test_history_can_be_imported_for_a_member_who_has_since_withdrawn(rainforest, staff):
    member = factories.MemberFactory(status=Member.Status.WITHDRAWN, withdrawn_on=datetime.date(2024, 1, 31))
    farm = factories.FarmFactory(member=member)

    certification_import_history(
        farm=farm,
        standard=rainforest,
        certificate_number="RA-PE-2020-9",
        certifier="Control Union Perú",
        valid_from=datetime.date(2020, 7, 1),
        valid_until=datetime.date(2023, 6, 30),
        recorded_by=staff,
        reason="Archive",
    )

    assert Certification.objects.get(farm=farm).status == "expired"


@pytest.mark.django_db
@pytest.mark.parametrize("to_status", ["certified", "withdrawn", "candidate", "expired"])
def test_an_imported_utz_certification_cannot_change_any_more(farm, utz, staff, today, rows_written, to_status):
    certification = import_utz(farm, utz, staff)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        certification_change_status(
            certification=certification,
            to_status=to_status,
            occurred_on=today,
            reason="Try to revive it",
            decided_by=staff,
            certificate_number="RA-1",
            valid_from=today,
        )

    assert refused.value.messages
    assert rows_written() == before
    certification.refresh_from_db()
    assert certification.status == "expired"


@pytest.mark.django_db
def test_a_utz_record_still_open_can_only_be_expired_on_its_real_expiry(farm, utz, staff, rows_written):
    # A UTZ certificate loaded before the merger, never closed.
    certification = Certification.objects.create(
        farm=farm,
        standard=utz,
        status="certified",
        certificate_number="UTZ-PE-2019-4",
        valid_from=datetime.date(2019, 3, 1),
        valid_until=datetime.date(2020, 2, 29),
    )
    CertificationEvent.objects.create(
        certification=certification, to_status="certified", occurred_on=datetime.date(2019, 3, 1), reason="Audit"
    )
    before = rows_written()

    with pytest.raises(ValidationError) as sanction:
        certification_change_status(
            certification=certification,
            to_status="sanctioned",
            occurred_on=datetime.date(2019, 9, 1),
            reason="Late finding",
            decided_by=staff,
        )
    with pytest.raises(ValidationError) as late_expiry:
        certification_change_status(
            certification=certification,
            to_status="expired",
            occurred_on=datetime.date(2023, 7, 1),
            reason="Cleaning up",
            decided_by=staff,
        )

    assert sanction.value.messages == [
        "UTZ Certified merged into Rainforest Alliance: UTZ Certified records are read-only history and the only "
        "change allowed is recording their expiry. Rainforest Alliance status comes only from a Rainforest "
        "Alliance audit."
    ]
    assert late_expiry.value.message_dict["occurred_on"][-1].startswith(
        "UTZ Certified records expire on their real expiry date"
    )
    assert rows_written() == before

    assert certification_expire_due(as_of=datetime.date(2026, 1, 1), decided_by=staff) == 1

    certification.refresh_from_db()
    assert certification.status == "expired"
    assert certification.events.last().occurred_on == datetime.date(2020, 2, 29)
    # It stays UTZ history: nothing was moved to Rainforest Alliance.
    assert not Certification.objects.filter(farm=farm).exclude(standard=utz).exists()


@pytest.mark.django_db
def test_import_refuses_a_certificate_that_is_still_valid(farm, rainforest, staff, today, rows_written):
    with pytest.raises(ValidationError) as refused:
        certification_import_history(
            farm=farm,
            standard=rainforest,
            certificate_number="RA-PE-2025-1",
            certifier="",
            valid_from=today - 300 * DAY,
            valid_until=today,
            recorded_by=staff,
            reason="Archive",
        )

    (message,) = refused.value.message_dict["valid_until"]
    assert message.startswith("Only a certificate whose validity has ended can be imported as history")
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_import_refuses_a_period_already_recorded(farm, utz, staff, rows_written):
    import_utz(farm, utz, staff)
    before = rows_written()

    with pytest.raises(ValidationError) as refused:
        import_utz(farm, utz, staff, valid_from=datetime.date(2018, 1, 1), valid_until=datetime.date(2018, 12, 31))

    (message,) = refused.value.message_dict["valid_from"]
    assert "already has a UTZ Certified certificate for part of this period (UTZ-PE-2017-118" in message
    assert rows_written() == before


@pytest.mark.django_db
def test_import_refuses_a_validity_that_ends_before_it_starts(farm, utz, staff, rows_written):
    with pytest.raises(ValidationError) as refused:
        import_utz(farm, utz, staff, valid_from=datetime.date(2018, 5, 1), valid_until=datetime.date(2018, 4, 30))

    assert refused.value.message_dict == {"valid_until": ["The end of validity cannot be before its start."]}
    assert rows_written() == (0, 0)


@pytest.mark.django_db
def test_expire_due_expires_only_certificates_whose_validity_has_ended(
    rainforest, staff, today, open_candidate, certify
):
    ended = certify(open_candidate(farm=factories.FarmFactory(), standard=rainforest), occurred_on=today - 40 * DAY)
    Certification.objects.filter(pk=ended.pk).update(valid_until=today - 10 * DAY)
    suspended = certify(open_candidate(farm=factories.FarmFactory(), standard=rainforest), occurred_on=today - 40 * DAY)
    certification_change_status(
        certification=suspended, to_status="suspended", occurred_on=today - 5 * DAY, reason="Audit", decided_by=staff
    )
    Certification.objects.filter(pk=suspended.pk).update(valid_until=today - 10 * DAY)
    still_valid = certify(open_candidate(farm=factories.FarmFactory(), standard=rainforest))
    candidate = open_candidate(farm=factories.FarmFactory(), standard=rainforest)

    expired = certification_expire_due(as_of=today)

    assert expired == 2
    statuses = dict(Certification.objects.values_list("pk", "status"))
    assert statuses == {
        ended.pk: "expired",
        suspended.pk: "expired",
        still_valid.pk: "certified",
        candidate.pk: "candidate",
    }
    ended_event = CertificationEvent.objects.filter(certification=ended).last()
    assert (ended_event.from_status, ended_event.occurred_on) == ("certified", today - 10 * DAY)
    assert (ended_event.reason, ended_event.decided_by) == ("Validity ended", None)
    # The suspension was recorded after the end of validity, so the expiry cannot be dated before it.
    assert CertificationEvent.objects.filter(certification=suspended).last().occurred_on == today - 5 * DAY
    assert certification_expire_due(as_of=today) == 0


@pytest.mark.django_db
def test_expire_due_refuses_a_date_in_the_future(today):
    with pytest.raises(ValidationError) as refused:
        certification_expire_due(as_of=today + DAY)

    assert refused.value.message_dict == {"as_of": ["The date cannot be in the future."]}
