"""The figures are read on every request, with no cache: after a write, through the ORM and the services or in
raw SQL to a column the figures read directly, the very next request of the dashboard, the summary report
(staff and partner) and program progress (staff page, API for staff and partner) shows the new figure."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members import services as member_services
from tests.api.factories import ApiTokenFactory
from tests.factories import FarmFactory, FarmVisitFactory, MemberFactory, ProgramEnrollmentFactory, region

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
SUMMARY = "/api/v1/reports/summary/"


@pytest.fixture
def partner_client(program) -> Client:
    """The API client of the program's partner."""
    token = ApiTokenFactory(partner=program.partner, last_used_at=timezone.now())
    return Client(headers={"Authorization": f"Bearer {token.plain_token}", "Accept-Language": "en"})


@pytest.fixture
def members(program) -> list:
    """Two active members of Huánuco (the manager's region), enrolled in the partner's program."""
    pair = MemberFactory.create_batch(2, region=region("Huánuco"))
    for member in pair:
        ProgramEnrollmentFactory(program=program, member=member)
    return pair


def members_seen(manager_client, partner_client, program) -> dict[str, int]:
    """The members each report counts now: the active members, or the program's enrolled members."""
    progress_api = f"/api/v1/programs/{program.pk}/progress/"
    dashboard = manager_client.get(DASHBOARD).context["figures"]
    return {
        "dashboard": dashboard.active_members,
        "dashboard, program progress": next(
            row for row in dashboard.programs if row.program == program
        ).enrolled_members,
        "summary, staff": manager_client.get(SUMMARY).json()["members"]["total"],
        "summary, partner": partner_client.get(SUMMARY).json()["members"]["total"],
        "program page": manager_client.get(reverse("program_detail", args=[program.pk]))
        .context["progress"]
        .enrolled_members,
        "progress, staff": manager_client.get(progress_api).json()["enrolled"],
        "progress, partner": partner_client.get(progress_api).json()["enrolled"],
    }


def everywhere(count: int) -> dict[str, int]:
    return dict.fromkeys(
        [
            "dashboard",
            "dashboard, program progress",
            "summary, staff",
            "summary, partner",
            "program page",
            "progress, staff",
            "progress, partner",
        ],
        count,
    )


def test_a_withdrawal_through_the_service_is_counted_on_the_next_request(
    manager_client, partner_client, program, members, today
):
    assert members_seen(manager_client, partner_client, program) == everywhere(2)

    member_services.member_withdraw(member=members[0], withdrawn_on=today, reason="Mudanza a Lima")

    assert members_seen(manager_client, partner_client, program) == everywhere(1)


def test_an_enrolment_through_the_service_is_counted_on_the_next_request(
    manager_client, partner_client, program, members, today
):
    assert members_seen(manager_client, partner_client, program) == everywhere(2)

    member_services.enrollment_create(
        program=program, member=MemberFactory(region=region("Huánuco")), enrolled_on=today
    )

    assert members_seen(manager_client, partner_client, program) == everywhere(3)


def test_a_status_changed_in_raw_sql_is_counted_on_the_next_request(
    manager_client, partner_client, program, members, today
):
    assert members_seen(manager_client, partner_client, program) == everywhere(2)

    # Outside the services and the ORM: no signal, no save(), nothing but the row.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_member SET status = 'withdrawn', withdrawn_on = %s WHERE id = %s", [today, members[0].pk]
        )

    assert members_seen(manager_client, partner_client, program) == everywhere(1)


def test_a_visit_is_counted_on_the_next_request(manager_client, partner_client, program, members, today):
    farm = FarmFactory(member=members[0])
    FarmVisitFactory(farm=farm, visited_on=today)
    assert manager_client.get(DASHBOARD).context["figures"].visits == 1
    assert manager_client.get(SUMMARY).json()["visits"]["count"] == 1
    assert partner_client.get(SUMMARY).json()["visits"]["count"] == 1

    FarmVisitFactory(farm=farm, visited_on=today)

    assert manager_client.get(DASHBOARD).context["figures"].visits == 2
    assert manager_client.get(SUMMARY).json()["visits"]["count"] == 2
    assert partner_client.get(SUMMARY).json()["visits"]["count"] == 2


def test_a_visit_moved_out_of_the_period_in_raw_sql_is_no_longer_counted_on_the_next_request(
    manager_client, partner_client, program, members, today
):
    visit = FarmVisitFactory(farm=FarmFactory(member=members[0]), visited_on=today)
    assert manager_client.get(DASHBOARD).context["figures"].visits == 1
    assert partner_client.get(SUMMARY).json()["visits"]["count"] == 1

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_farmvisit SET visited_on = %s WHERE id = %s", [datetime.date(2000, 1, 1), visit.pk]
        )

    assert manager_client.get(DASHBOARD).context["figures"].visits == 0
    assert partner_client.get(SUMMARY).json()["visits"]["count"] == 0
