"""GET /api/v1/programs/{id}/progress/ and /api/v1/reports/summary/ for every kind of client."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from certifications.models import CertificationStatus
from cooperative.selectors import regions_in_scope
from reporting.selectors import dashboard_figures
from tests.factories import (
    CertificationFactory,
    FarmFactory,
    FarmVisitFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/reports/summary/"
DAY = datetime.timedelta(days=1)


def progress_url(program) -> str:
    return f"/api/v1/programs/{program.pk}/progress/"


@pytest.fixture
def population(program_a, program_b, today, disburse):
    """Ana (Huánuco) enrolled in A's program; Beto (Huánuco) in none; Diego (Cusco) in B's program.

    Ana: cocoa 2.50 ha / 1,500 kg certified RA, coffee 1.00 ha / 920 kg (20 qq) with a historical UTZ
    certification, two visits (today and 40 days ago), a loan. Diego: coffee 4.00 ha, a visit, a loan.
    """
    program_a.standards.set([standard("rainforest_alliance")])
    ana = MemberFactory(code="A-1", gender="female", region=region("Huánuco"))
    beto = MemberFactory(code="B-1", gender="male", region=region("Huánuco"))
    diego = MemberFactory(code="D-1", gender="male", region=region("Cusco"))
    ProgramEnrollmentFactory(program=program_a, member=ana)
    ProgramEnrollmentFactory(program=program_b, member=diego)

    ana_cocoa = FarmFactory(member=ana, hectares=Decimal("2.50"), estimated_production_kg=Decimal("1500"))
    ana_coffee = FarmFactory(
        member=ana, crop="coffee", hectares=Decimal("1.00"), estimated_production_kg=Decimal("920")
    )
    FarmFactory(member=beto, hectares=Decimal("3.00"), estimated_production_kg=Decimal("690"))
    diego_coffee = FarmFactory(member=diego, crop="coffee", hectares=Decimal("4.00"))
    CertificationFactory(
        farm=ana_cocoa, status=CertificationStatus.CERTIFIED, valid_from=today - 100 * DAY, valid_until=today + DAY
    )
    CertificationFactory(farm=ana_coffee, standard=standard("utz"), status=CertificationStatus.SUSPENDED)
    CertificationFactory(farm=diego_coffee, standard=standard("organic"), status=CertificationStatus.CERTIFIED)
    FarmVisitFactory(farm=ana_cocoa, visited_on=today, purpose="diagnosis")
    FarmVisitFactory(farm=ana_cocoa, visited_on=today - 40 * DAY, purpose="training")
    FarmVisitFactory(farm=diego_coffee, visited_on=today, purpose="training")
    disburse(ana, days_ago=200)
    disburse(diego, days_ago=200)
    return {"ana": ana, "beto": beto, "diego": diego}


# -- programs/{id}/progress/ --------------------------------------------------------------------------


def test_partner_a_reads_its_program_s_progress(partner_a_client, program_a, population):
    response = partner_a_client.get(progress_url(program_a))

    assert response.status_code == 200
    assert response.json() == {
        "id": program_a.pk,
        "program": "LWR-CACAO",
        "enrolled": 1,
        "farmers_certified": 1,
        "target_farmers_certified": 500,
        "project_beneficiaries": 0,
        "beneficiaries": 1,
        "target_beneficiaries": 1000,
        "certified_percent": 0,
        "beneficiaries_percent": 0,
    }


def test_partner_b_gets_404_for_partner_a_s_program_progress(partner_b_client, program_a, program_b, population):
    assert partner_b_client.get(progress_url(program_a)).status_code == 404
    assert partner_b_client.get(progress_url(program_b)).json()["enrolled"] == 1


@pytest.mark.parametrize("client_name", ["manager_client", "technician_client"])
def test_staff_read_progress_of_programs_in_their_regions_only(request, client_name, program_a, program_b, population):
    client = request.getfixturevalue(client_name)

    response = client.get(progress_url(program_a))

    assert response.status_code == 200
    assert (response.json()["program"], response.json()["enrolled"]) == ("LWR-CACAO", 1)
    assert client.get(progress_url(program_b)).status_code == 404


def test_progress_counts_only_the_part_of_a_program_in_the_staff_user_s_regions(
    technician_client, partner_a_client, program_a, population
):
    program_a.regions.add(region("Cusco"))
    ProgramEnrollmentFactory(program=program_a, member=population["diego"])

    assert partner_a_client.get(progress_url(program_a)).json()["enrolled"] == 2
    assert technician_client.get(progress_url(program_a)).json()["enrolled"] == 1


@pytest.mark.parametrize("path", ["0", "abc"])
def test_progress_of_an_unknown_program_is_404(partner_a_client, path):
    assert partner_a_client.get(f"/api/v1/programs/{path}/progress/").status_code == 404


# -- reports/summary/ ---------------------------------------------------------------------------------


def test_partner_a_s_summary_covers_only_members_enrolled_in_its_program(partner_a_client, population):
    response = partner_a_client.get(SUMMARY)

    assert response.status_code == 200
    body = response.json()
    assert body["members"]["total"] == 1
    assert body["members"]["by_region"] == [{"region": "Huánuco", "members": 1}]
    assert [row["members"] for row in body["members"]["by_gender"]] == [1, 0, 0]
    assert body["farms"]["count"] == 2
    assert body["farms"]["hectares"] == "3.50"
    coffee, cocoa = sorted(body["farms"]["by_crop"], key=lambda row: row["crop"], reverse=True)
    assert coffee == {
        "crop": "coffee",
        "label": "Coffee",
        "farms": 1,
        "hectares": "1.00",
        "production_kg": "920.00",
        "production_quintales": "20.00",
        "production_export_bags": "13.33",
    }
    # Quintales and export bags are coffee measures: cocoa is reported in kg only.
    assert (cocoa["production_kg"], cocoa["production_quintales"], cocoa["production_export_bags"]) == (
        "1500.00",
        None,
        None,
    )
    assert {(row["standard"], row["status"], row["farms"], row["historical"]) for row in body["certifications"]} == {
        ("rainforest_alliance", "certified", 1, False),
        ("utz", "suspended", 1, True),
    }
    assert body["credit"]["active_loans"] == 1
    assert body["credit"]["loans_over_30_days"] == 1
    assert body["visits"]["count"] == 1  # the one 40 days ago is outside the default 30 days
    assert {row["purpose"]: row["visits"] for row in body["visits"]["by_purpose"]}["diagnosis"] == 1


def test_partner_b_s_summary_contains_nothing_of_partner_a_s_members(partner_b_client, population):
    body = partner_b_client.get(SUMMARY).json()

    assert body["members"]["by_region"] == [{"region": "Cusco", "members": 1}]
    assert body["farms"]["hectares"] == "4.00"
    assert [(row["standard"], row["farms"]) for row in body["certifications"]] == [("organic", 1)]
    assert body["credit"]["active_loans"] == 1
    assert body["visits"]["count"] == 1
    assert partner_b_client.get(SUMMARY, {"program": "LWR-CACAO"}).status_code == 400
    assert partner_b_client.get(SUMMARY, {"region": "Huánuco"}).json()["members"]["total"] == 0


def test_a_technician_s_summary_covers_its_regions_only(technician_client, population):
    body = technician_client.get(SUMMARY).json()

    assert body["members"]["by_region"] == [{"region": "Huánuco", "members": 2}]
    assert body["credit"]["active_loans"] == 1
    assert technician_client.get(SUMMARY, {"region": "Cusco"}).json() == {
        "region": ["Unknown region, or outside your regions."]
    }


def test_the_summary_equals_the_dashboard_for_the_same_regions_figure_by_figure(manager_client, population, today):
    body = manager_client.get(SUMMARY).json()
    figures = dashboard_figures(regions=regions_in_scope(manager_client.user), as_of=today)

    assert body["as_of"] == today.isoformat()
    assert body["members"]["total"] == figures.active_members == 2
    assert body["members"]["by_region"] == [
        {"region": row.region, "members": row.members} for row in figures.members_by_region
    ]
    assert [row["members"] for row in body["members"]["by_gender"]] == [
        row.members for row in figures.members_by_gender
    ]
    assert [row["members"] for row in body["members"]["by_crop"]] == [row.members for row in figures.crops]
    assert body["farms"]["hectares"] == str(figures.hectares) == "6.50"
    assert [(row["farms"], row["hectares"], row["production_kg"]) for row in body["farms"]["by_crop"]] == [
        (row.farms, str(row.hectares), str(row.production_kg)) for row in figures.crops
    ]
    assert [(row["standard"], row["status"], row["farms"]) for row in body["certifications"]] == [
        (row.standard_code, row.status, row.farms) for row in figures.certifications
    ]
    credit = body["credit"]
    assert (credit["active_loans"], credit["loans_over_30_days"]) == (
        figures.credit.active_loans,
        figures.credit.loans_over_30_days,
    )
    assert Decimal(credit["total_outstanding"]) == figures.credit.total_outstanding > 0
    assert Decimal(credit["principal_outstanding"]) == figures.credit.principal_outstanding
    assert Decimal(credit["par30"]) == figures.credit.par30 > 0
    assert body["visits"]["count"] == figures.visits == 1
    assert [row["visits"] for row in body["visits"]["by_purpose"]] == [row.visits for row in figures.visits_by_purpose]


def test_the_summary_filters_narrow_the_population(manager_client, partner_a_client, population, today):
    assert manager_client.get(SUMMARY, {"program": "LWR-CACAO"}).json()["members"]["total"] == 1
    by_id = manager_client.get(SUMMARY, {"program": str(population["ana"].enrollments.get().program_id)})
    assert by_id.json()["members"]["total"] == 1
    assert manager_client.get(SUMMARY, {"region": "10"}).json()["members"]["by_region"] == [
        {"region": "Huánuco", "members": 2}
    ]
    assert manager_client.get(SUMMARY, {"region": "San Martín"}).json()["members"]["total"] == 0
    coffee = manager_client.get(SUMMARY, {"crop": "coffee"}).json()
    assert coffee["members"]["total"] == 1
    assert [row["crop"] for row in coffee["farms"]["by_crop"]] == ["coffee"]
    period = {"from": (today - 45 * DAY).isoformat(), "to": (today - DAY).isoformat()}
    body = partner_a_client.get(SUMMARY, period).json()
    assert body["period"] == period
    assert body["visits"]["count"] == 1


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "2024-13-45"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "from"),
        ({"region": "Atlantis"}, "region"),
        ({"program": "NOPE"}, "program"),
        ({"program": "999999"}, "program"),
        ({"crop": "banana"}, "crop"),
        ({"to": ""}, "to"),  # given empty: not taken for "today"
        ({"from": " "}, "from"),
        ({"crop": ""}, "crop"),
        ({"program": ""}, "program"),
        ({"region": ""}, "region"),
    ],
)
def test_bad_summary_parameters_answer_400_naming_the_parameter(partner_a_client, params, parameter):
    response = partner_a_client.get(SUMMARY, params)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


# -- authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["summary", "progress"])
def test_anonymous_and_revoked_tokens_get_401(partner_a_client, program_a, path):
    url = SUMMARY if path == "summary" else progress_url(program_a)
    assert Client().get(url).status_code == 401

    partner_a_client.token.revoked_at = timezone.now()
    partner_a_client.token.save()
    assert partner_a_client.get(url).status_code == 401


def test_a_logged_in_user_without_a_staff_role_gets_403(outsider_client, program_a):
    assert outsider_client.get(SUMMARY).status_code == 403
    assert outsider_client.get(progress_url(program_a)).status_code == 403


# -- query counts -------------------------------------------------------------------------------------


def add_members(program, count: int) -> None:
    for member in MemberFactory.create_batch(count, region=region("Huánuco")):
        ProgramEnrollmentFactory(program=program, member=member)
        farm = FarmFactory(member=member)
        CertificationFactory(farm=farm)
        FarmVisitFactory(farm=farm, visited_on=timezone.localdate())


@pytest.mark.parametrize(("client_name", "expected"), [("partner_a_client", 11), ("manager_client", 13)])
def test_the_summary_query_count_is_the_same_for_1_and_20_members(
    request, client_name, expected, program_a, django_assert_num_queries
):
    client = request.getfixturevalue(client_name)
    # Partner: 1 token, 2 its program ids; staff: 1 session, 2 user, 3 staff roles, 4 whether a role covers
    # all regions. Then, computed on every request, dashboard_figures without the dashboard's own figures
    # (6, the visits by purpose included: its docstring names each query) and the EUDR readiness (per
    # region, per program); and the request log INSERT.
    add_members(program_a, 1)
    with django_assert_num_queries(expected):
        assert client.get(SUMMARY).status_code == 200
    add_members(program_a, 19)
    with django_assert_num_queries(expected):
        assert client.get(SUMMARY).json()["members"]["total"] == 20


@pytest.mark.parametrize(("client_name", "expected"), [("partner_a_client", 8), ("manager_client", 11)])
def test_the_progress_query_count_is_the_same_for_1_and_20_members(
    request, client_name, expected, program_a, django_assert_num_queries
):
    client = request.getfixturevalue(client_name)
    # Partner: 1 token; staff: 1 session, 2 user, 3 staff roles, 4 whether a role covers all regions. Then
    # program_progress, computed on every request: the program (partner joined), its regions, its standards,
    # enrolments, certified farmers, project beneficiaries; and the request log INSERT.
    add_members(program_a, 1)
    with django_assert_num_queries(expected):
        assert client.get(progress_url(program_a)).status_code == 200
    add_members(program_a, 19)
    with django_assert_num_queries(expected):
        assert client.get(progress_url(program_a)).json()["enrolled"] == 20


@pytest.mark.django_db
def test_a_period_ending_in_the_first_days_of_year_one_starts_with_the_calendar(manager_client):
    response = manager_client.get("/api/v1/reports/summary/", {"to": "0001-01-05"})

    assert response.status_code == 200
    assert response.json()["period"] == {"from": "0001-01-01", "to": "0001-01-05"}
    assert manager_client.get(SUMMARY, {"from": "0001-01-01", "to": "0001-01-02"}).status_code == 200
