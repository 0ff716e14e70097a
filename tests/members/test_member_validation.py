import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members.models import Member
from members.services import member_create, member_update, member_withdraw
from tests.factories import MemberFactory, region

pytestmark = pytest.mark.django_db


def member_values(**overrides):
    values = dict(
        code="BA-90001",
        first_names="Teodoro",
        last_names="Espiritu Lino",
        dni="10117410",
        gender="male",
        region=region("Huánuco"),
        community="Juan Velasco Alvarado",
        joined_on=datetime.date(2013, 2, 4),
    )
    values.update(overrides)
    return values


def test_it_registers_a_member_with_a_valid_dni():
    member = member_create(**member_values())

    assert Member.objects.get(pk=member.pk).dni == "10117410"


def test_it_stores_the_eight_digits_when_the_dni_comes_with_its_check_character():
    member = member_create(**member_values(dni="10117410-2"))

    assert member.dni == "10117410"


def test_it_rejects_a_dni_of_seven_digits_and_writes_nothing():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(dni="1011741"))

    assert "dni" in excinfo.value.message_dict
    assert "8" in excinfo.value.message_dict["dni"][0]
    assert not Member.objects.exists()


def test_it_rejects_a_dni_with_a_wrong_check_character():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(dni="101174109"))

    assert "dni" in excinfo.value.message_dict


def test_it_rejects_a_duplicate_dni_and_writes_nothing():
    MemberFactory(dni="10117410")

    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(dni="10117410-2"))

    assert "dni" in excinfo.value.message_dict
    assert Member.objects.count() == 1


def test_the_database_refuses_a_duplicate_dni_that_bypasses_validation():
    MemberFactory(dni="10117410")

    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(code="X-1"))


def test_members_without_a_dni_do_not_collide():
    member_create(**member_values(code="A-1", dni=""))
    member_create(**member_values(code="A-2", dni=None))

    assert Member.objects.filter(dni__isnull=True).count() == 2


def test_it_rejects_a_duplicate_member_code():
    MemberFactory(code="BA-90001")

    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(dni="20304050"))

    assert "code" in excinfo.value.message_dict


def test_it_rejects_a_joining_date_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(joined_on=tomorrow))

    assert "joined_on" in excinfo.value.message_dict
    assert not Member.objects.exists()


def test_consent_to_share_needs_its_date():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(consents_to_share=True))

    assert "consent_date" in excinfo.value.message_dict


def test_the_database_refuses_consent_without_a_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(consents_to_share=True, consent_date=None))


def test_an_inei_ubigeo_must_belong_to_the_members_region():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(ubigeo="080101"))

    assert "ubigeo" in excinfo.value.message_dict


def test_a_reniec_ubigeo_is_not_checked_against_the_inei_department():
    member = member_create(**member_values(ubigeo="080101", ubigeo_source="reniec"))

    assert member.ubigeo == "080101"


def test_a_ubigeo_has_six_digits():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(ubigeo="1001"))

    assert "ubigeo" in excinfo.value.message_dict


def test_withdrawing_keeps_the_member_with_date_and_reason():
    member = MemberFactory()

    member_withdraw(member=member, withdrawn_on=datetime.date(2026, 5, 1), reason="Se mudó a Lima")

    member.refresh_from_db()
    assert member.status == Member.Status.WITHDRAWN
    assert member.withdrawn_on == datetime.date(2026, 5, 1)
    assert member.withdrawal_reason == "Se mudó a Lima"
    assert member.history.count() == 2


def test_withdrawal_needs_a_reason():
    member = MemberFactory()

    with pytest.raises(ValidationError):
        member_withdraw(member=member, withdrawn_on=datetime.date(2026, 5, 1), reason="  ")

    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_update_cannot_withdraw_without_the_withdrawal_action():
    member = MemberFactory()

    with pytest.raises(ValidationError):
        member_update(member=member, status="withdrawn")

    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_every_change_is_kept_in_the_audit_history():
    member = member_create(**member_values())

    member_update(member=member, phone="987654321")

    history = member.history.order_by("history_date")
    assert [record.history_type for record in history] == ["+", "~"]
    assert history.last().phone == "987654321"


@pytest.mark.spanish
def test_validation_messages_are_in_spanish_by_default():
    with pytest.raises(ValidationError) as excinfo:
        member_create(**member_values(dni="1011741", joined_on=timezone.localdate() + datetime.timedelta(days=1)))

    assert excinfo.value.message_dict["dni"] == [
        "Ingrese un DNI válido: 8 dígitos, opcionalmente seguidos de su dígito verificador."
    ]
    assert excinfo.value.message_dict["joined_on"] == ["La fecha de ingreso no puede ser futura."]


def test_withdrawing_closes_the_members_enrolments_and_open_certifications_with_events():
    from certifications.models import CertificationStatus
    from certifications.services.certifications import certification_create, certification_import_history
    from cooperative.models import ProgramEnrollment
    from tests.factories import FarmFactory, ProgramEnrollmentFactory, UserFactory, standard

    decider = UserFactory(username="gerente")
    farm = FarmFactory()
    member = farm.member
    enrollment = ProgramEnrollmentFactory(member=member)
    open_one = certification_create(
        farm=farm,
        standard=standard("rainforest_alliance"),
        decided_by=decider,
        occurred_on=datetime.date(2026, 6, 1),
        reason="Inscripción",
    )
    history = certification_import_history(
        farm=farm,
        standard=standard("utz"),
        certificate_number="UTZ-1",
        certifier="Control Union",
        valid_from=datetime.date(2017, 3, 1),
        valid_until=datetime.date(2018, 2, 28),
        recorded_by=decider,
        reason="Histórico",
    )

    member_withdraw(member=member, withdrawn_on=datetime.date(2026, 5, 1), reason="Se mudó a Lima", decided_by=decider)

    enrollment.refresh_from_db()
    open_one.refresh_from_db()
    history.refresh_from_db()
    assert enrollment.status == ProgramEnrollment.Status.WITHDRAWN
    assert open_one.status == CertificationStatus.WITHDRAWN
    event = open_one.events.order_by("-id").first()
    # The withdrawal predates the certification's last event, so the event keeps time moving forward.
    assert (event.to_status, event.occurred_on, event.decided_by) == ("withdrawn", datetime.date(2026, 6, 1), decider)
    assert "Se mudó a Lima" in event.reason
    assert history.status == CertificationStatus.EXPIRED
