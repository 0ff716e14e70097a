"""The figures cache (cooperative.figures_cache): the dashboard and the summary report are kept until the data
changes, and any committed change, however it is written, is seen on the next request."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperative import figures_cache
from cooperative.figures_cache import FIGURES, VISITS, data_version
from cooperative.models import ApiRequestLog, DataVersion
from members.models import Member
from tests.factories import FarmFactory, FarmVisitFactory, MemberFactory, ProgramEnrollmentFactory, region

SUMMARY = reverse("api-report-summary")
DASHBOARD = reverse("dashboard")
FIGURES_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "figures": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures-tests"},
}


@pytest.fixture(autouse=True)
def local_figures_cache():
    with override_settings(CACHES=FIGURES_CACHE):
        caches["figures"].clear()  # ids repeat from one test to the next
        yield


def queries_of(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def total_members(client) -> int:
    return client.get(SUMMARY).json()["members"]["total"]


def test_a_second_request_is_served_from_the_cache_with_the_same_figures(manager_client):
    MemberFactory.create_batch(3, region=region("Huánuco"))
    first_count, first = queries_of(manager_client, DASHBOARD)
    second_count, second = queries_of(manager_client, DASHBOARD)

    assert second.context["figures"] == first.context["figures"]
    assert second_count < first_count - 10  # the figures' own queries are not run again


# These tests commit (transaction=True): the version goes up when a transaction really commits.


def test_a_committed_change_is_counted_on_the_next_request(reference_data, program_a, partner_a_client):
    member = MemberFactory(region=region("Huánuco"))
    ProgramEnrollmentFactory(program=program_a, member=member)
    assert total_members(partner_a_client) == 1

    ProgramEnrollmentFactory(program=program_a, member=MemberFactory(region=region("Huánuco")))
    assert total_members(partner_a_client) == 2

    # A bulk UPDATE sends no signal; it is seen all the same.
    Member.objects.filter(pk=member.pk).update(
        status=Member.Status.WITHDRAWN, withdrawn_on=datetime.date(2026, 1, 5), withdrawal_reason="Mudanza"
    )
    assert total_members(partner_a_client) == 1


def test_a_rolled_back_change_leaves_the_version_alone(reference_data):
    before = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        MemberFactory()
        raise RuntimeError("rolled back")
    assert data_version() == before

    # A change whose savepoint rolls back is dropped; the rest of the transaction still counts.
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            MemberFactory()
            raise RuntimeError("rolled back")
        assert data_version() == before
        MemberFactory()
    assert data_version() == before + 1


def test_writes_that_change_no_figure_keep_the_version(reference_data, partner_a_client):
    before = data_version()
    partner_a_client.get(reverse("api-member-list"))  # writes the API request log
    assert ApiRequestLog.objects.exists()
    assert data_version() == before


def test_one_transaction_with_many_writes_bumps_once(reference_data):
    before = data_version()
    with transaction.atomic():
        member = MemberFactory()
        FarmFactory.create_batch(3, member=member)
    assert data_version() == before + 1


def test_each_partner_gets_its_own_figures(partner_a_client, partner_b_client, program_a, program_b):
    ProgramEnrollmentFactory(program=program_a, member=MemberFactory(region=region("Huánuco")))
    for _ in range(2):
        ProgramEnrollmentFactory(program=program_b, member=MemberFactory(region=region("Cusco")))

    assert total_members(partner_a_client) == 1
    assert total_members(partner_b_client) == 2
    assert total_members(partner_a_client) == 1


def test_each_filter_is_part_of_the_key(partner_a_client, program_a):
    ProgramEnrollmentFactory(program=program_a, member=MemberFactory(region=region("Huánuco")))
    member = MemberFactory(region=region("Huánuco"))
    ProgramEnrollmentFactory(program=program_a, member=member)
    FarmFactory(member=member, crop="coffee")

    assert total_members(partner_a_client) == 2
    assert partner_a_client.get(SUMMARY, {"crop": "coffee"}).json()["members"]["total"] == 1


def test_without_its_row_nothing_is_cached(manager_client):
    DataVersion.objects.all().delete()
    MemberFactory(region=region("Huánuco"))
    first_count, _ = queries_of(manager_client, DASHBOARD)
    second_count, _ = queries_of(manager_client, DASHBOARD)
    assert second_count == first_count


def test_migrations_bump_once_they_end_and_not_while_they_run(db, django_capture_on_commit_callbacks):
    before = data_version()
    figures_cache._migration_starts()
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            MemberFactory()
        assert callbacks == []  # the version table may not exist yet while migrations run
    finally:
        figures_cache._migration_ends()
    assert data_version() == before + 1


def test_a_visit_raises_the_visits_version_only(reference_data, manager_client):
    farm = FarmFactory(member=MemberFactory(region=region("Huánuco")))
    today = timezone.localdate()
    assert manager_client.get(DASHBOARD).context["figures"].visits == 0
    figures, visits = data_version(FIGURES), data_version(VISITS)

    FarmVisitFactory(farm=farm, visited_on=today)  # committed: this test runs with transaction=True

    assert data_version(FIGURES) == figures
    assert data_version(VISITS) > visits
    assert manager_client.get(DASHBOARD).context["figures"].visits == 1


def test_the_summary_counts_the_visits_of_each_period_from_the_same_cached_figures(partner_a_client, program_a):
    member = MemberFactory(region=region("Huánuco"))
    ProgramEnrollmentFactory(program=program_a, member=member)
    farm = FarmFactory(member=member)
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 3, 10))
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 5, 10))

    march = partner_a_client.get(SUMMARY, {"from": "2026-03-01", "to": "2026-03-31"}).json()
    spring = partner_a_client.get(SUMMARY, {"from": "2026-03-01", "to": "2026-05-31"}).json()

    assert (march["visits"]["count"], spring["visits"]["count"]) == (1, 2)
    assert march["members"] == spring["members"]


def test_program_progress_is_kept_until_the_data_changes(reference_data, program_a, partner_a_client):
    url = f"/api/v1/programs/{program_a.pk}/progress/"
    ProgramEnrollmentFactory(program=program_a, member=MemberFactory(region=region("Huánuco")))
    first_count, first = queries_of(partner_a_client, url)
    second_count, second = queries_of(partner_a_client, url)
    assert second.json() == first.json()
    assert second_count < first_count

    ProgramEnrollmentFactory(program=program_a, member=MemberFactory(region=region("Huánuco")))  # committed
    assert (first.json()["enrolled"], partner_a_client.get(url).json()["enrolled"]) == (1, 2)
