"""The dashboard page and its selector, dashboard_figures: every figure, scoping by region, query count.

The cooperative it counts (and `today`, `disburse`) are fixtures of tests/conftest.py, shared with the benchmark."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from certifications.models import CertificationStatus
from certifications.selectors.certifications import current_certifications
from cooperative.models import Region
from cooperative.selectors import regions_in_scope
from members.models import FarmVisit
from members.services import member_withdraw
from reporting.selectors import CertificationCount, GenderCount, RegionCount, VisitCount, dashboard_figures
from tests.conftest import ROLE_CLIENTS
from tests.factories import (
    AllianceProgramFactory,
    CertificationFactory,
    CommunityProjectFactory,
    FarmFactory,
    FarmVisitFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    closed_certification,
    standard,
)

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")
DAY = datetime.timedelta(days=1)


def manager_regions():
    return Region.objects.filter(name__in=["Huánuco", "San Martín"])


def test_every_figure_counts_only_the_members_of_the_regions(cooperative, today):
    figures = dashboard_figures(regions=manager_regions(), as_of=today)

    assert figures.members_by_region == [RegionCount("Huánuco", 1), RegionCount("San Martín", 1)]
    assert figures.active_members == 2
    assert [(row.gender, row.members) for row in figures.members_by_gender] == [
        ("female", 1),
        ("male", 1),
        ("other", 0),
    ]
    assert isinstance(figures.members_by_gender[0], GenderCount)
    coffee, cocoa = figures.crops
    assert (coffee.crop, coffee.members, coffee.farms, coffee.hectares) == ("coffee", 1, 1, Decimal("1.00"))
    assert (coffee.production_kg, coffee.production_quintales, coffee.production_export_bags) == (
        Decimal("920.00"),
        Decimal("20.00"),
        Decimal("13.33"),
    )
    assert (cocoa.crop, cocoa.members, cocoa.farms, cocoa.hectares) == ("cocoa", 2, 2, Decimal("5.50"))
    assert (cocoa.production_kg, cocoa.production_quintales, cocoa.production_export_bags) == (
        Decimal("2190.00"),
        Decimal("47.61"),
        Decimal("31.74"),
    )
    assert figures.hectares == Decimal("6.50")
    assert figures.certifications == [
        CertificationCount("cafe_practices", "C.A.F.E. Practices", "certified", "Certified", 1),
        CertificationCount("organic", "Orgánico", "candidate", "Candidate", 1),
        CertificationCount("rainforest_alliance", "Rainforest Alliance", "certified", "Certified", 1),
        CertificationCount("rainforest_alliance", "Rainforest Alliance", "withdrawn", "Withdrawn", 1),
    ]
    assert figures.expiring_count == 1
    assert [(c.farm.member.code, c.standard.code, c.valid_until) for c in figures.expiring] == [
        ("A-1", "rainforest_alliance", today + 30 * DAY)
    ]
    credit = figures.credit
    assert (credit.active_loans, credit.total_outstanding, credit.principal_outstanding) == (
        2,
        Decimal("2120.00"),
        Decimal("2000.00"),
    )
    assert (credit.loans_over_30_days, credit.par30, credit.par30_percent) == (1, Decimal("0.5000"), Decimal("50.0"))
    assert figures.visits_by_purpose[:3] == [
        VisitCount("diagnosis", "Diagnosis", 1),
        VisitCount("follow_up", "Follow-up", 0),
        VisitCount("training", "Training", 1),
    ]
    assert figures.visits == 2
    [progress] = figures.programs
    assert (progress.program, progress.enrolled_members, progress.farmers_certified, progress.beneficiaries) == (
        cooperative,
        2,
        1,
        202,
    )


def test_the_certification_table_has_a_column_per_status_present(cooperative, today):
    figures = dashboard_figures(regions=manager_regions(), as_of=today)

    assert figures.certification_statuses == [
        ("candidate", "Candidate"),
        ("certified", "Certified"),
        ("withdrawn", "Withdrawn"),
    ]
    assert [(row.standard_name, row.farms_by_status) for row in figures.certification_table] == [
        ("C.A.F.E. Practices", [0, 1, 0]),
        ("Orgánico", [1, 0, 0]),
        ("Rainforest Alliance", [0, 1, 1]),
    ]
    assert figures.certified_farms("rainforest_alliance") == 1


def test_with_every_region_the_cusco_member_counts_too(cooperative, today):
    figures = dashboard_figures(regions=Region.objects.all(), as_of=today)

    assert RegionCount("Cusco", 1) in figures.members_by_region
    assert figures.active_members == 3
    assert figures.crops[0].hectares == Decimal("5.00")
    assert figures.expiring_count == 2
    assert figures.credit.active_loans == 3
    assert figures.credit.loans_over_30_days == 2
    assert figures.visits == 3
    assert {row.program.code for row in figures.programs} == {"CACAO", "CAFE-CUSCO"}


def test_dashboard_does_not_count_a_withdrawn_members_farm_as_certified(today):
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    member = MemberFactory()
    ProgramEnrollmentFactory(program=program, member=member)
    CertificationFactory(
        farm=FarmFactory(member=member),
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 400 * DAY,
        valid_until=today + 400 * DAY,
    )
    member_withdraw(member=member, withdrawn_on=today, reason="Se mudó a Lima")
    user = UserFactory(is_superuser=True)

    figures = dashboard_figures(regions=regions_in_scope(user), as_of=today)

    assert figures.certified_farms("rainforest_alliance") == 0
    assert figures.active_members == 0


def test_a_certificate_past_its_validity_counts_as_expired_before_the_nightly_job_records_it(today):
    farm = FarmFactory()
    lapsed = CertificationFactory(
        farm=farm,
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 400 * DAY,
        valid_until=today - DAY,
    )
    CertificationFactory(
        farm=FarmFactory(),
        standard=standard("rainforest_alliance"),
        status=CertificationStatus.CERTIFIED,
        valid_from=today - 400 * DAY,
        valid_until=today,  # valid through today
    )
    user = UserFactory(is_superuser=True)

    figures = dashboard_figures(regions=regions_in_scope(user), as_of=today)
    yesterday = dashboard_figures(regions=regions_in_scope(user), as_of=today - DAY)

    lapsed.refresh_from_db()
    assert lapsed.status == CertificationStatus.CERTIFIED  # nothing was written
    assert figures.certified_farms("rainforest_alliance") == 1
    assert [(row.status, row.farms) for row in figures.certifications] == [("certified", 1), ("expired", 1)]
    assert yesterday.certified_farms("rainforest_alliance") == 2


def test_the_current_certification_is_the_open_one_else_the_latest_closed_one():
    farm = FarmFactory()
    closed_certification(farm, "rainforest_alliance", CertificationStatus.WITHDRAWN, datetime.date(2024, 1, 1))
    older = closed_certification(farm, "organic", CertificationStatus.EXPIRED, datetime.date(2019, 1, 1))
    newer = closed_certification(farm, "organic", CertificationStatus.EXCLUDED, datetime.date(2023, 1, 1))
    open_ = CertificationFactory(farm=farm, standard=standard("rainforest_alliance"))
    same_day = closed_certification(farm, "organic", CertificationStatus.WITHDRAWN, datetime.date(2023, 1, 1))

    current = set(current_certifications().values_list("pk", flat=True))

    # Organic: `newer` and `same_day` share the latest date; the later record wins, as on the farm's page.
    assert current == {open_.pk, same_day.pk}
    assert older.pk not in current and newer.pk not in current


def test_the_manager_of_huanuco_and_san_martin_does_not_see_the_cusco_member(manager_client, cooperative):
    response = manager_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    figures = response.context["figures"]
    assert [row.region for row in figures.members_by_region] == ["Huánuco", "San Martín"]
    assert figures.active_members == 2
    page = response.content.decode()
    assert "Cusco" not in page
    assert re.search(r'id="figure-active-members">\s*2\s*<', page)


@pytest.mark.parametrize("role_client", ROLE_CLIENTS)
def test_every_staff_role_sees_the_dashboard(role_client, request):
    client = request.getfixturevalue(role_client)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Active members" in response.content.decode()


def test_a_user_without_a_staff_role_is_refused(outsider_client):
    assert outsider_client.get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_the_page_shows_the_numbers_as_text_and_embeds_the_chart_data_without_inline_script(
    manager_client, cooperative
):
    response = manager_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert "Export bags (69 kg)" in page
    assert "S/ 2,120.00" in page
    assert "50.0 %" in page
    assert response.context["charts"]["members_by_region"] == {
        "labels": ["Huánuco", "San Martín"],
        "datasets": [{"label": "Active members", "data": [1, 1]}],
    }
    assert '<script id="chart-members-by-region" type="application/json">' in page
    assert '<canvas data-chart="chart-hectares-by-crop"' in page
    # Only vendored files and JSON data: nothing executes inline, nothing is fetched from elsewhere.
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'type="application/json"' in tag or 'src="/static/' in tag, tag
    assert "/static/js/dashboard.js" in page and "/static/vendor/chartjs/chart.umd.min.js" in page
    assert "http://" not in page and "https://" not in page


@pytest.mark.spanish
def test_the_page_is_in_spanish_by_default(manager_client, cooperative):
    response = manager_client.get(URL)

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    assert "S/ 2\xa0120,00" in response.content.decode()  # Spanish groups thousands with a no-break space


def build_rows(count: int, today: datetime.date, disburse) -> None:
    """`count` members in Huánuco, each with a certified farm, a visit, an enrolment and a loan."""
    program = AllianceProgramFactory(standards=[standard("rainforest_alliance")])
    CommunityProjectFactory(program=program)
    for _ in range(count):
        member = MemberFactory()
        farm = FarmFactory(member=member)
        CertificationFactory(
            farm=farm, status=CertificationStatus.CERTIFIED, valid_from=today - 400 * DAY, valid_until=today + 9 * DAY
        )
        closed_certification(farm, "utz", CertificationStatus.EXPIRED, datetime.date(2015, 4, 30))
        FarmVisitFactory(farm=farm, visited_on=today - 3 * DAY, purpose=FarmVisit.Purpose.TRAINING)
        ProgramEnrollmentFactory(program=program, member=member)
        disburse(member, days_ago=100)


@pytest.mark.parametrize("rows", [1, 20])
def test_the_dashboard_query_count_does_not_grow_with_the_rows(
    rows, manager_client, today, disburse, django_assert_num_queries
):
    build_rows(rows, today, disburse)

    # 1 session, 2 user, 3 staff roles, 4 "covers all regions?", 5 "do the ICS roles (the manager has one)
    # cover all regions?"; the figures, computed on every request (regions as a subquery): 6 members by
    # region, 7 by gender, 8 farms by crop, 9 current certifications by standard and status, 10 expiring
    # count, 11 the soonest expiring, 12 the active loans' balances and PAR30 (one aggregate), 13 programs,
    # 14 their regions, 15 their standards, 16 enrolments, 17 certified farmers, 18 project beneficiaries,
    # 19 the visits by purpose; 20 group certificates running out; 21 internal inspection coverage by
    # standard and region; 22-23 EUDR readiness by region and by program.
    with django_assert_num_queries(23):
        response = manager_client.get(URL)

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.active_members == rows
    assert figures.expiring_count == rows
    assert figures.visits == rows
    assert figures.credit.active_loans == rows
    assert figures.programs[0].farmers_certified == rows
