"""The ICS audit pack (XLSX): one row per farm with a certification, its columns, the scope by region, the
formula-injection guard and a query count that does not grow with the farms."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from certifications.models import CafeTier, CertificationStatus, NonConformity, Sanction
from members.models import Farm, Member
from tests.factories import (
    CafeVerificationFactory,
    CertificationEventFactory,
    CertificationFactory,
    FarmFactory,
    InspectionFactory,
    MemberFactory,
    NonConformityFactory,
    SanctionFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

URL = reverse("ics_audit_pack")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = datetime.timedelta(days=1)
HEADER = [
    "Member code",
    "Member",
    "DNI",
    "Farm",
    "Region",
    "District",
    "Community",
    "Hectares",
    "Crop",
    "Estimated production (kg)",
    "Organic status",
    "Organic conversion stage",
    "Rainforest Alliance status",
    "C.A.F.E. Practices status",
    "UTZ Certified status",
    "Last internal inspection",
    "Last inspection result",
    "Open non-conformities",
    "Open critical non-conformities",
    "Active sanctions",
    "C.A.F.E. tier",
]


def workbook_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def as_dicts(rows: list[tuple]) -> dict[str, dict]:
    header, *body = rows
    return {row[0] + " " + row[3]: dict(zip(header, row, strict=True)) for row in body}


@pytest.fixture
def cooperative(today):
    """Ana (Huánuco) farms coffee under every standard; Beto (San Martín) farms cocoa, once certified;
    farms without a certification, retired, of an inactive member or in Cusco are left out of the pack."""
    ana = MemberFactory(
        code="A-1", first_names="Ana", last_names="Quispe", dni="47123456", district="Rupa-Rupa", community="Pendencia"
    )
    coffee = FarmFactory(
        member=ana,
        name="Cafetal",
        crop="coffee",
        district="Luyando",
        community="Naranjillo",
        hectares=Decimal("3.25"),
        estimated_production_kg=Decimal("1840.00"),
    )
    organic = CertificationFactory(
        farm=coffee, standard=standard("organic"), status=CertificationStatus.IN_CONVERSION, conversion_stage="c2"
    )
    ra = CertificationFactory(farm=coffee, status=CertificationStatus.SANCTIONED)
    cafe = CertificationFactory(farm=coffee, standard=standard("cafe_practices"), status=CertificationStatus.CERTIFIED)
    utz = CertificationFactory(farm=coffee, standard=standard("utz"), status=CertificationStatus.EXPIRED)
    CertificationEventFactory(certification=utz, to_status="expired", occurred_on=datetime.date(2018, 2, 28))
    # An older organic certification, withdrawn: the open one is current.
    old = CertificationFactory(farm=coffee, standard=standard("organic"), status=CertificationStatus.WITHDRAWN)
    CertificationEventFactory(certification=old, to_status="withdrawn", occurred_on=datetime.date(2019, 5, 1))

    # Inspections: an old one with a finding (closed), the latest without any.
    older = InspectionFactory(farm=coffee, inspected_on=today - 400 * DAY, standards=[standard("organic")])
    NonConformityFactory(inspection=older, closed_on=today - 300 * DAY, verified_by=older.inspector, severity="major")
    InspectionFactory(farm=coffee, inspected_on=today - 20 * DAY, standards=[standard("organic")])
    NonConformityFactory(inspection=older, severity=NonConformity.Severity.CRITICAL)  # still open
    NonConformityFactory(inspection=older, standard=standard("rainforest_alliance"))  # open, minor

    SanctionFactory(certification=ra, kind=Sanction.Kind.SALES_BLOCK, starts_on=today - 10 * DAY)
    SanctionFactory(certification=organic, starts_on=today - 60 * DAY, ends_on=today)  # a warning, last day
    SanctionFactory(certification=organic, starts_on=today - 90 * DAY, ends_on=today - DAY)  # ended
    SanctionFactory(certification=organic, starts_on=today + DAY)  # not started

    CafeVerificationFactory(certification=cafe, verified_on=today - 400 * DAY, tier=CafeTier.STRATEGIC)
    CafeVerificationFactory(certification=cafe, verified_on=today - 30 * DAY, tier=CafeTier.PREFERRED)

    beto = MemberFactory(code="B-1", first_names="Beto", last_names="Rojas", dni=None, region=region("San Martín"))
    cocoa = FarmFactory(member=beto, name="Cacaotal", estimated_production_kg=None)
    expired = CertificationFactory(farm=cocoa, status=CertificationStatus.EXPIRED)
    CertificationEventFactory(certification=expired, to_status="expired", occurred_on=datetime.date(2024, 6, 30))
    inspection = InspectionFactory(farm=cocoa, inspected_on=today - 5 * DAY)
    NonConformityFactory(
        inspection=inspection,
        standard=standard("rainforest_alliance"),
        closed_on=today,
        verified_by=inspection.inspector,
    )

    FarmFactory(member=ana, name="Sin certificar")
    retired = FarmFactory(member=ana, name="Retirada", status=Farm.Status.RETIRED)
    CertificationFactory(farm=retired, status=CertificationStatus.CANDIDATE)
    inactive = FarmFactory(member__status=Member.Status.INACTIVE, name="Socio inactivo")
    CertificationFactory(farm=inactive, status=CertificationStatus.CANDIDATE)
    cusco = FarmFactory(member__region=region("Cusco"), name="En Cusco", crop="coffee")
    CertificationFactory(farm=cusco, standard=standard("organic"))


def test_the_pack_has_one_row_per_certified_farm_with_every_column(manager_client, cooperative, today):
    response = manager_client.get(URL, **EN)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="ics-audit-pack-{today.isoformat()}.xlsx"'
    rows = workbook_rows(response)
    assert list(rows[0]) == HEADER
    assert [(row[0], row[3]) for row in rows[1:]] == [("A-1", "Cafetal"), ("B-1", "Cacaotal")]
    ana, beto = as_dicts(rows).values()
    assert ana == {
        "Member code": "A-1",
        "Member": "Ana Quispe",
        "DNI": "47123456",
        "Farm": "Cafetal",
        "Region": "Huánuco",
        "District": "Luyando",
        "Community": "Naranjillo",
        "Hectares": 3.25,
        "Crop": "Coffee",
        "Estimated production (kg)": 1840,
        "Organic status": "In conversion",
        "Organic conversion stage": "C2 (second year)",
        "Rainforest Alliance status": "Sanctioned",
        "C.A.F.E. Practices status": "Certified",
        "UTZ Certified status": "Expired",
        "Last internal inspection": datetime.datetime.combine(today - 20 * DAY, datetime.time()),
        "Last inspection result": "Compliant",
        "Open non-conformities": 2,
        "Open critical non-conformities": 1,
        "Active sanctions": "Warning (Organic); Sales block (Rainforest Alliance)",
        "C.A.F.E. tier": "Preferred (60-79%)",
    }
    assert beto == {
        **dict.fromkeys(HEADER),
        "Member code": "B-1",
        "Member": "Beto Rojas",
        "Farm": "Cacaotal",
        "Region": "San Martín",
        "Hectares": 2.5,
        "Crop": "Cocoa",
        "Rainforest Alliance status": "Expired",
        "Last internal inspection": datetime.datetime.combine(today - 5 * DAY, datetime.time()),
        "Last inspection result": "Non-compliant",
        "Open non-conformities": 0,
        "Open critical non-conformities": 0,
    }


def test_an_ics_coordinator_gets_only_the_farms_of_their_regions(ics_client, cooperative):
    rows = workbook_rows(ics_client.get(URL, **EN))

    assert [(row[0], row[3]) for row in rows[1:]] == [("A-1", "Cafetal")]


@pytest.mark.spanish
def test_the_headers_and_labels_are_in_spanish_by_default(manager_client, cooperative):
    response = manager_client.get(URL)

    header, first, *_rest = workbook_rows(response)
    assert header[:5] == ("Código de socio", "Socio", "DNI", "Parcela", "Región")
    assert first[8] == "Café"
    assert response["Content-Disposition"].startswith('attachment; filename="')


def test_text_a_member_typed_is_never_written_as_a_formula(manager_client):
    farm = FarmFactory(
        member__first_names='=HYPERLINK("http://example.org","x")', name="@SUM(A1)", community="+51 987 654 321"
    )
    CertificationFactory(farm=farm)

    response = manager_client.get(URL, **EN)

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    member, farm_name, community = sheet["B2"], sheet["D2"], sheet["G2"]
    assert member.data_type == "s" and member.value.startswith('=HYPERLINK("http://example.org","x") ')
    assert (farm_name.value, farm_name.data_type) == ("@SUM(A1)", "s")
    assert (community.value, community.data_type) == ("+51 987 654 321", "s")


def test_without_farms_the_pack_has_only_its_header(manager_client):
    rows = workbook_rows(manager_client.get(URL, **EN))

    assert rows == [tuple(HEADER)]


def build_farms(count: int, today: datetime.date) -> None:
    """`count` Huánuco farms, each with two certifications, an inspection with a finding, a sanction and a
    C.A.F.E. verification."""
    for _ in range(count):
        farm = FarmFactory(crop="coffee")
        organic = CertificationFactory(farm=farm, standard=standard("organic"), status=CertificationStatus.CERTIFIED)
        cafe = CertificationFactory(
            farm=farm, standard=standard("cafe_practices"), status=CertificationStatus.CERTIFIED
        )
        NonConformityFactory(inspection__farm=farm, inspection__inspected_on=today - 3 * DAY)
        SanctionFactory(certification=organic, starts_on=today - DAY)
        CafeVerificationFactory(certification=cafe, verified_on=today - 3 * DAY)


@pytest.mark.parametrize("count", [1, 20])
def test_the_pack_query_count_does_not_grow_with_the_farms(count, manager_client, today, django_assert_num_queries):
    build_farms(count, today)

    # 1 session, 2 user, 3 staff roles, 4 "do the ICS roles cover all regions?", 5 the standards (columns),
    # then per chunk of 2,000 farms: 6 the farms with member and region joined and their inspection, non-
    # conformity and C.A.F.E. facts as subqueries, 7 their certifications, 8 those certifications' sanctions.
    with django_assert_num_queries(8):
        response = manager_client.get(URL, **EN)
        rows = workbook_rows(response)

    assert len(rows) == count + 1
    assert {row[HEADER.index("Active sanctions")] for row in rows[1:]} == {"Warning (Organic)"}
    assert {row[HEADER.index("Open non-conformities")] for row in rows[1:]} == {1}
