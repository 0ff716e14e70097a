"""Internal inspection coverage (certifications.selectors.reports.ics_coverage), its page and the ICS home: which farms
count, the 12-month window, the scope by the member's region, access by role and pinned query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.models import CertificationStatus
from certifications.selectors.reports import CoverageRow, ics_coverage, months_before
from cooperative.models import Region
from members.models import Farm, Member
from tests.factories import CertificationFactory, FarmFactory, InspectionFactory, region, standard

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 11, 29)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGES = ["ics_home", "ics_coverage", "ics_audit_pack"]
ICS_READER_CLIENTS = ["manager_client", "technician_client", "ics_client"]


def everywhere():
    return Region.objects.all()


def farm_under(code: str, status: str = CertificationStatus.CERTIFIED, **farm_fields) -> Farm:
    """A farm with an open certification under the standard, in the status (C2 when in conversion)."""
    farm = FarmFactory(**farm_fields)
    CertificationFactory(
        farm=farm,
        standard=standard(code),
        status=status,
        conversion_stage="c2" if status == CertificationStatus.IN_CONVERSION else "",
    )
    return farm


def inspect(farm: Farm, on: datetime.date, *codes: str):
    return InspectionFactory(farm=farm, inspected_on=on, standards=[standard(code) for code in codes])


def rows(coverage) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (row.standard_code, row.region): (row.farms, row.inspected)
        for standard_coverage in coverage.standards
        for row in standard_coverage.regions
    }


# -- the window -----------------------------------------------------------------------------------------------


def test_an_inspection_exactly_twelve_months_old_is_outside_the_window_and_the_next_day_inside():
    on_the_day = farm_under("rainforest_alliance")
    day_after = farm_under("rainforest_alliance")
    on_as_of = farm_under("rainforest_alliance")
    after_as_of = farm_under("rainforest_alliance")
    inspect(on_the_day, datetime.date(2025, 11, 29), "rainforest_alliance")
    inspect(day_after, datetime.date(2025, 11, 30), "rainforest_alliance")
    inspect(on_as_of, AS_OF, "rainforest_alliance")
    inspect(after_as_of, AS_OF + datetime.timedelta(days=1), "rainforest_alliance")

    coverage = ics_coverage(regions=everywhere(), as_of=AS_OF)

    assert (coverage.first_day, coverage.as_of) == (datetime.date(2025, 11, 30), AS_OF)
    assert rows(coverage) == {("rainforest_alliance", "Huánuco"): (4, 2)}
    ra = coverage.standard("rainforest_alliance")
    assert (ra.farms, ra.inspected, ra.not_inspected, ra.percent) == (4, 2, 2, Decimal("50.0"))


def test_twelve_months_before_29_february_is_28_february():
    assert months_before(datetime.date(2028, 2, 29), 12) == datetime.date(2027, 2, 28)
    assert months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert months_before(datetime.date(2026, 1, 15), 12) == datetime.date(2025, 1, 15)


# -- which farms count ----------------------------------------------------------------------------------------


def test_candidate_in_conversion_and_certified_farms_count_and_no_other_status():
    counted = [
        farm_under("organic", CertificationStatus.CANDIDATE),
        farm_under("organic", CertificationStatus.IN_CONVERSION),
        farm_under("organic", CertificationStatus.CERTIFIED),
    ]
    for status in ("sanctioned", "suspended", "excluded", "withdrawn", "expired"):
        inspect(farm_under("organic", status), AS_OF, "organic")
    for farm in counted[1:]:
        inspect(farm, AS_OF, "organic")

    coverage = ics_coverage(regions=everywhere(), as_of=AS_OF)

    assert rows(coverage) == {("organic", "Huánuco"): (3, 2)}


def test_only_an_inspection_covering_the_standard_counts_for_it():
    farm = farm_under("rainforest_alliance")
    CertificationFactory(farm=farm, standard=standard("organic"), status=CertificationStatus.CANDIDATE)
    inspect(farm, AS_OF, "rainforest_alliance")
    other_farm = farm_under("organic")
    inspect(FarmFactory(member=other_farm.member), AS_OF, "organic")  # the member's other farm

    coverage = ics_coverage(regions=everywhere(), as_of=AS_OF)

    assert rows(coverage) == {("organic", "Huánuco"): (2, 0), ("rainforest_alliance", "Huánuco"): (1, 1)}


def test_retired_farms_and_inactive_or_withdrawn_members_do_not_count():
    farm_under("organic", member__status=Member.Status.INACTIVE)
    farm_under("organic", member__status=Member.Status.WITHDRAWN, member__withdrawn_on=datetime.date(2026, 1, 1))
    retired = farm_under("organic")
    Farm.objects.filter(pk=retired.pk).update(status=Farm.Status.RETIRED)
    kept = farm_under("organic")
    inspect(kept, AS_OF, "organic")

    coverage = ics_coverage(regions=everywhere(), as_of=AS_OF)

    assert rows(coverage) == {("organic", "Huánuco"): (1, 1)}


def test_farms_count_in_their_members_region_and_only_in_the_regions_given():
    huanuco, san_martin, cusco = region("Huánuco"), region("San Martín"), region("Cusco")
    # A San Martín member's farm that lies across the border in Huánuco counts in San Martín.
    border = farm_under("rainforest_alliance", member__region=san_martin, region=huanuco)
    inspect(border, AS_OF, "rainforest_alliance")
    farm_under("rainforest_alliance", member__region=huanuco)
    farm_under("cafe_practices", crop="coffee", member__region=cusco)

    coverage = ics_coverage(regions=Region.objects.filter(pk__in=[huanuco.pk, san_martin.pk]), as_of=AS_OF)

    assert [s.standard_code for s in coverage.standards] == ["rainforest_alliance"]
    assert coverage.standards[0].regions == [
        CoverageRow("rainforest_alliance", "Rainforest Alliance", "Huánuco", 1, 0),
        CoverageRow("rainforest_alliance", "Rainforest Alliance", "San Martín", 1, 1),
    ]
    assert coverage.standards[0].percent == Decimal("50.0")


def test_standards_come_by_name_with_a_total_each_and_one_query():
    for _ in range(3):
        inspect(farm_under("organic", member__region=region("San Martín")), AS_OF, "organic")
    farm_under("organic")
    inspect(farm_under("rainforest_alliance"), AS_OF - datetime.timedelta(days=200), "rainforest_alliance")
    farm_under("rainforest_alliance")
    farm_under("rainforest_alliance")

    with CaptureQueriesContext(connection) as queries:
        coverage = ics_coverage(regions=everywhere(), as_of=AS_OF)

    assert len(queries) == 1
    assert [(s.standard_name, s.farms, s.inspected, s.percent) for s in coverage.standards] == [
        ("Orgánico", 4, 3, Decimal("75.0")),
        ("Rainforest Alliance", 3, 1, Decimal("33.3")),
    ]
    assert [row.region for row in coverage.standard("organic").regions] == ["Huánuco", "San Martín"]
    assert coverage.standard("utz") is None


def test_without_farms_the_coverage_is_empty():
    assert ics_coverage(regions=everywhere(), as_of=AS_OF).standards == []


# -- the pages: access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role_client", ICS_READER_CLIENTS)
def test_ics_readers_open_every_report_page(page, role_client, request):
    client = request.getfixturevalue(role_client)

    response = client.get(reverse(page), **EN)

    assert response.status_code == 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role_client", ["credit_officer_client", "outsider_client"])
def test_credit_officers_and_users_without_a_role_are_refused(page, role_client, request):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(page, client):
    url = reverse(page)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("page", ["ics_home", "ics_coverage"])
def test_the_pages_answer_only_get(page, manager_client):
    assert manager_client.post(reverse(page)).status_code == 405


# -- the pages: content and scope -----------------------------------------------------------------------------


@pytest.fixture
def regions_apart():
    """Huánuco: two RA farms, one inspected; San Martín: one organic farm, inspected; Cusco: one C.A.F.E. farm."""
    inspect(farm_under("rainforest_alliance"), timezone.localdate(), "rainforest_alliance")
    farm_under("rainforest_alliance")
    inspect(farm_under("organic", member__region=region("San Martín")), timezone.localdate(), "organic")
    farm_under("cafe_practices", crop="coffee", member__region=region("Cusco"))


def test_the_coverage_page_shows_a_table_per_standard_with_its_total(manager_client, regions_apart):
    response = manager_client.get(reverse("ics_coverage"), **EN)

    page = response.content.decode()
    coverage = response.context["coverage"]
    assert [(s.standard_code, s.farms, s.inspected) for s in coverage.standards] == [
        ("organic", 1, 1),
        ("rainforest_alliance", 2, 1),
    ]
    table = re.search(r'id="coverage-table-rainforest_alliance".*?</table>', page, re.S).group(0)
    assert re.search(r"<th scope=\"row\">Huánuco</th>\s*<td>2</td>\s*<td>1</td>\s*<td>1</td>\s*<td>50.0 %</td>", table)
    assert re.search(r"<th scope=\"row\">Total</th>\s*<td>2</td>\s*<td>1</td>\s*<td>1</td>\s*<td>50.0 %</td>", table)
    assert "Cusco" not in page and "C.A.F.E. Practices" not in page
    assert reverse("ics_audit_pack") in page


def test_an_ics_coordinator_of_huanuco_sees_only_huanuco(ics_client, regions_apart):
    response = ics_client.get(reverse("ics_coverage"), **EN)

    coverage = response.context["coverage"]
    assert [(s.standard_code, [row.region for row in s.regions]) for s in coverage.standards] == [
        ("rainforest_alliance", ["Huánuco"])
    ]
    assert "San Martín" not in response.content.decode()


def test_the_coverage_of_a_user_counts_only_the_regions_of_their_ics_roles(client, regions_apart):
    """A credit officer for every region who is technician in Huánuco reads Huánuco's coverage only."""
    from cooperative.services import staff_role_grant
    from tests.factories import UserFactory

    user = UserFactory(username="mixed")
    staff_role_grant(user=user, role="credit_officer", regions=Region.objects.none(), all_regions=True)
    staff_role_grant(user=user, role="technician", regions=Region.objects.filter(name="Huánuco"))
    client.force_login(user)

    coverage = client.get(reverse("ics_coverage")).context["coverage"]

    assert [row.region for s in coverage.standards for row in s.regions] == ["Huánuco"]


def test_the_ics_home_links_every_ics_page_and_summarises_the_coverage(manager_client, regions_apart):
    response = manager_client.get(reverse("ics_home"), **EN)

    page = response.content.decode()
    for name in [
        "checklist_list",
        "inspection_list",
        "nonconformity_list",
        "conflict_list",
        "committee",
        "sanction_list",
        "group_certificate_list",
        "ics_coverage",
        "ics_audit_pack",
    ]:
        assert f'href="{reverse(name)}"' in page, name
    summary = re.search(r'id="coverage-summary".*?</table>', page, re.S).group(0)
    assert re.search(r"Rainforest Alliance</th>\s*<td>2</td>\s*<td>1</td>\s*<td>1</td>\s*<td>50.0 %</td>", summary)
    assert re.search(r"Orgánico</th>\s*<td>1</td>\s*<td>1</td>\s*<td>0</td>\s*<td>100.0 %</td>", summary)


@pytest.mark.spanish
def test_the_coverage_page_is_in_spanish_by_default(manager_client, regions_apart):
    response = manager_client.get(reverse("ics_coverage"))

    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "50,0 %" in page


# -- query counts ---------------------------------------------------------------------------------------------


def build_farms(count: int) -> None:
    """`count` Huánuco farms under RA and organic, inspected, and as many in San Martín not inspected."""
    for _ in range(count):
        farm = farm_under("rainforest_alliance")
        CertificationFactory(farm=farm, standard=standard("organic"), status=CertificationStatus.CANDIDATE)
        inspect(farm, timezone.localdate(), "rainforest_alliance", "organic")
        farm_under("rainforest_alliance", member__region=region("San Martín"))


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("page", ["ics_home", "ics_coverage"])
def test_the_report_pages_query_count_does_not_grow_with_the_farms(
    count, page, manager_client, django_assert_num_queries
):
    build_farms(count)

    # 1 session, 2 user, 3 staff roles, 4 "do the ICS roles cover all regions?", 5 coverage by standard
    # and region (one GROUP BY, the regions as a subquery).
    with django_assert_num_queries(5):
        response = manager_client.get(reverse(page))

    assert response.status_code == 200
    ra = response.context["coverage"].standard("rainforest_alliance")
    assert (ra.farms, ra.inspected) == (2 * count, count)
