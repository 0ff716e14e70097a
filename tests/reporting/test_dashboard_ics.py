"""The dashboard's Internal Control System additions: group certificates running out (every staff role,
cooperative-wide) and the internal inspection coverage (ICS readers only, for their ICS regions)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.models import CertificationStatus
from certifications.selectors.reports import group_certificates_expiring
from tests.conftest import ROLE_CLIENTS
from tests.factories import (
    CertificationFactory,
    FarmFactory,
    GroupCertificateFactory,
    InspectionFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AS_OF = datetime.date(2026, 11, 29)
DAY = datetime.timedelta(days=1)


def certificate(number: str, valid_until: datetime.date, code: str = "organic", **fields):
    return GroupCertificateFactory(
        standard=standard(code),
        number=number,
        valid_from=fields.pop("valid_from", valid_until - 364 * DAY),
        valid_until=valid_until,
        **fields,
    )


# -- the selector ---------------------------------------------------------------------------------------------


def test_certificates_ending_within_60_days_or_ended_within_30_are_listed_soonest_first():
    certificate("ENDED-31", AS_OF - 31 * DAY)
    ended_30 = certificate("ENDED-30", AS_OF - 30 * DAY, code="rainforest_alliance")
    ended_1 = certificate("ENDED-1", AS_OF - DAY, code="cafe_practices")
    last_day = certificate("TODAY", AS_OF, code="organic")
    in_60 = certificate("IN-60", AS_OF + 60 * DAY, code="rainforest_alliance", valid_from=AS_OF - 1000 * DAY)
    certificate("IN-61", AS_OF + 61 * DAY, code="cafe_practices", valid_from=AS_OF - 900 * DAY)

    with CaptureQueriesContext(connection) as queries:
        warnings = group_certificates_expiring(as_of=AS_OF)

    assert len(queries) == 1
    assert [w.certificate for w in warnings] == [ended_30, ended_1, last_day, in_60]
    assert [(w.expired, w.days_left) for w in warnings] == [(True, -30), (True, -1), (False, 0), (False, 60)]
    assert warnings[0].days_since_expiry == 30
    assert warnings[0].certificate.standard.name == "Rainforest Alliance"  # joined, no further query


def test_the_window_follows_the_days_given():
    in_90 = certificate("IN-90", AS_OF + 90 * DAY)

    assert group_certificates_expiring(as_of=AS_OF) == []
    assert [w.certificate for w in group_certificates_expiring(as_of=AS_OF, days=90)] == [in_90]


def test_a_certificate_already_renewed_is_not_a_warning():
    certificate("ORG-2026", AS_OF + 20 * DAY, valid_from=AS_OF - 345 * DAY)
    certificate("ORG-2027", AS_OF + 385 * DAY, valid_from=AS_OF + 21 * DAY)
    certificate("RA-OLD", AS_OF - 5 * DAY, code="rainforest_alliance", valid_from=AS_OF - 1100 * DAY)
    certificate("RA-NEW", AS_OF + 1000 * DAY, code="rainforest_alliance", valid_from=AS_OF - 4 * DAY)
    # A certificate of another standard renews nothing.
    cafe = certificate("CAFE", AS_OF + 10 * DAY, code="cafe_practices")

    assert [w.certificate for w in group_certificates_expiring(as_of=AS_OF)] == [cafe]


# -- the page -------------------------------------------------------------------------------------------------


@pytest.fixture
def running_out():
    today = timezone.localdate()
    certificate("CU-ORG-855123", today + 52 * DAY)
    certificate("CP-SCS-2025-097", today - 3 * DAY, code="cafe_practices")
    certificate("RA-C-PE-0731", today + 400 * DAY, code="rainforest_alliance")


@pytest.mark.parametrize("role_client", ROLE_CLIENTS)
def test_every_staff_role_sees_the_group_certificates_running_out(role_client, request, running_out):
    client = request.getfixturevalue(role_client)

    response = client.get(URL, **EN)

    page = response.content.decode()
    warnings = re.search(r'id="group-certificate-warnings".*?</section>', page, re.S).group(0)
    assert "The group certificate Orgánico CU-ORG-855123 is valid until" in warnings
    assert "52 days left" in warnings
    assert "The group certificate C.A.F.E. Practices CP-SCS-2025-097 ran out on" in warnings
    assert "3 days ago" in warnings
    assert "RA-C-PE-0731" not in page
    assert warnings.count('class="message message-warning"') == 1
    assert warnings.count('class="message message-error"') == 1


@pytest.mark.parametrize(("role_client", "linked"), [("credit_officer_client", False), ("ics_client", True)])
def test_only_ics_readers_get_the_link_to_the_group_certificates(role_client, linked, request, running_out):
    client = request.getfixturevalue(role_client)

    page = client.get(URL, **EN).content.decode()

    assert (f'href="{reverse("group_certificate_list")}"' in page) is linked


def test_without_certificates_running_out_there_is_no_warning(manager_client):
    certificate("RA-C-PE-0731", timezone.localdate() + 400 * DAY, code="rainforest_alliance")

    assert 'id="group-certificate-warnings"' not in manager_client.get(URL, **EN).content.decode()


@pytest.fixture
def farms_to_inspect():
    """Huánuco: two RA farms, one inspected this year; San Martín: one organic farm, not inspected."""
    today = timezone.localdate()
    inspected = FarmFactory()
    CertificationFactory(farm=inspected, status=CertificationStatus.CERTIFIED)
    InspectionFactory(farm=inspected, inspected_on=today, standards=[standard("rainforest_alliance")])
    CertificationFactory(farm=FarmFactory(), status=CertificationStatus.CANDIDATE)
    CertificationFactory(
        farm=FarmFactory(member__region=region("San Martín")),
        standard=standard("organic"),
        status=CertificationStatus.CERTIFIED,
    )


@pytest.mark.parametrize("role_client", ["manager_client", "technician_client", "ics_client"])
def test_ics_readers_see_the_inspection_coverage(role_client, request, farms_to_inspect):
    client = request.getfixturevalue(role_client)

    response = client.get(URL, **EN)

    page = response.content.decode()
    summary = re.search(r'id="coverage-summary".*?</table>', page, re.S).group(0)
    assert re.search(r"Rainforest Alliance</th>\s*<td>2</td>\s*<td>1</td>\s*<td>1</td>\s*<td>50.0 %</td>", summary)
    assert f'href="{reverse("ics_coverage")}"' in page
    assert response.context["coverage"] is not None


@pytest.mark.parametrize(
    ("role_client", "expected"),
    [
        ("manager_client", [("organic", 1, 0), ("rainforest_alliance", 2, 1)]),  # Huánuco and San Martín
        ("ics_client", [("rainforest_alliance", 2, 1)]),  # Huánuco only
    ],
)
def test_the_coverage_on_the_dashboard_counts_the_regions_of_the_users_ics_roles(
    role_client, expected, request, farms_to_inspect
):
    client = request.getfixturevalue(role_client)

    coverage = client.get(URL, **EN).context["coverage"]

    assert [(s.standard_code, s.farms, s.inspected) for s in coverage.standards] == expected


def test_a_credit_officer_does_not_see_the_coverage_and_pays_no_query_for_it(credit_officer_client, farms_to_inspect):
    with CaptureQueriesContext(connection) as queries:
        response = credit_officer_client.get(URL, **EN)

    assert response.context["coverage"] is None
    page = response.content.decode()
    assert 'id="coverage-summary"' not in page
    assert reverse("ics_coverage") not in page
    sql = [query["sql"] for query in queries.captured_queries]
    assert not any("certifications_inspection" in statement for statement in sql)
    assert sum("certifications_groupcertificate" in statement for statement in sql) == 1
