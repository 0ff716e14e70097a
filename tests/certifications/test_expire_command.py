import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from certifications.models import CertificationStatus
from certifications.services.certifications import certification_change_status, certification_create
from tests.factories import FarmFactory, UserFactory, standard

pytestmark = pytest.mark.django_db


def certified(valid_from: datetime.date):
    decider = UserFactory(username="comite")
    certification = certification_create(
        farm=FarmFactory(),
        standard=standard("rainforest_alliance"),
        decided_by=decider,
        occurred_on=valid_from,
        reason="Inscripción",
    )
    return certification_change_status(
        certification=certification,
        to_status=CertificationStatus.CERTIFIED,
        occurred_on=valid_from,
        reason="Auditoría aprobada",
        decided_by=decider,
        certificate_number="RA-1",
        valid_from=valid_from,
    )


def test_the_daily_command_expires_lapsed_certificates_once():
    lapsed = certified(datetime.date(2022, 1, 10))
    current = certified(datetime.date(2026, 1, 10))
    output = StringIO()

    call_command("expire_certifications", "--as-of", "2026-11-29", stdout=output)
    call_command("expire_certifications", "--as-of", "2026-11-29", stdout=StringIO())

    lapsed.refresh_from_db()
    current.refresh_from_db()
    assert (lapsed.status, current.status) == (CertificationStatus.EXPIRED, CertificationStatus.CERTIFIED)
    assert lapsed.events.filter(to_status=CertificationStatus.EXPIRED).count() == 1
    assert output.getvalue().startswith("1 certification(s) expired")


def test_a_bad_date_is_refused():
    with pytest.raises(CommandError):
        call_command("expire_certifications", "--as-of", "2024-13-45")
