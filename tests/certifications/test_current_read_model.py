"""The read model "current certification of each farm under each standard" (`Certification.is_current`): the
certification services keep it equal to the rule decided from the statuses and the events, in the write's
transaction; the database allows one current certification per farm and standard; the reconciler finds and
repairs what writes behind the services' back leave, and the seeder and the migration write it right."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.seeding.run import seed_scale
from certifications.models import Certification, CertificationStatus
from certifications.models.certifications import ONE_CURRENT_CONSTRAINT
from certifications.read_models import reconcile_current_certifications, refresh_current_certification
from certifications.selectors.certifications import (
    current_certifications,
    current_certifications_by_events,
    farm_current_certifications,
)
from certifications.services.certifications import (
    certification_change_status,
    certification_create,
    certification_expire_due,
    certification_import_history,
)
from members.services import member_withdraw
from tests.factories import CertificationEventFactory, CertificationFactory, FarmFactory, standard

DAY = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


def flagged(farm, code: str) -> list[int]:
    """The ids marked current for the farm under the standard, as stored."""
    return list(
        Certification.objects.filter(farm=farm, standard__code=code, is_current=True).values_list("pk", flat=True)
    )


def by_events(farm, code: str) -> list[int]:
    group = Certification.objects.filter(farm=farm, standard__code=code)
    return list(current_certifications_by_events(group).values_list("pk", flat=True))


def change(certification, staff, to_status, on, **kwargs):
    return certification_change_status(
        certification=certification,
        to_status=to_status,
        occurred_on=on,
        reason=f"Committee decision: {to_status}",
        decided_by=staff,
        **kwargs,
    )


def set_current_in_sql(pk: int, value: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certifications_certification SET is_current = %s WHERE id = %s", [value, pk])


# -- the services keep it -------------------------------------------------------------------------------------


def test_an_opened_certification_is_the_farms_current_one(farm, rainforest, staff, today):
    certification = certification_create(
        farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Registered in the census"
    )

    assert certification.is_current is True
    assert flagged(farm, "rainforest_alliance") == [certification.pk] == by_events(farm, "rainforest_alliance")


def test_it_stays_current_through_every_status_change_of_its_cycle(farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest, days_ago=400)
    steps = [
        ("certified", today - 300 * DAY, {"certificate_number": "RA-1", "valid_from": today - 300 * DAY}),
        ("suspended", today - 200 * DAY, {}),
        ("certified", today - 100 * DAY, {}),
        ("sanctioned", today - 50 * DAY, {}),
        ("withdrawn", today, {}),
    ]
    for to_status, on, extra in steps:
        certification = change(certification, staff, to_status, on, **extra)
        assert certification.is_current is True, to_status
        assert flagged(farm, "rainforest_alliance") == [certification.pk] == by_events(farm, "rainforest_alliance")


def test_a_new_cycle_becomes_current_and_the_closed_one_stops_being(farm, rainforest, staff, today, open_candidate):
    first = open_candidate(farm=farm, standard=rainforest, days_ago=400)
    change(first, staff, "withdrawn", today - 300 * DAY)
    assert flagged(farm, "rainforest_alliance") == [first.pk]

    second = open_candidate(farm=farm, standard=rainforest, days_ago=100)

    assert flagged(farm, "rainforest_alliance") == [second.pk] == by_events(farm, "rainforest_alliance")
    first.refresh_from_db()
    assert first.is_current is False
    # Closed too, the later cycle stays current: its last event is the latest.
    change(second, staff, "withdrawn", today)
    assert flagged(farm, "rainforest_alliance") == [second.pk] == by_events(farm, "rainforest_alliance")


def test_imported_history_becomes_current_only_when_nothing_later_is_there(coffee_farm, rainforest, utz, staff, today):
    open_one = certification_create(
        farm=coffee_farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Registered"
    )
    terms = {"certifier": "Control Union", "recorded_by": staff, "reason": "Group certificate (history)"}

    older = certification_import_history(
        farm=coffee_farm,
        standard=rainforest,
        certificate_number="RA-2019",
        valid_from=datetime.date(2019, 1, 1),
        valid_until=datetime.date(2019, 12, 31),
        **terms,
    )
    only_one = certification_import_history(
        farm=coffee_farm,
        standard=utz,
        certificate_number="UTZ-2018",
        valid_from=datetime.date(2018, 1, 1),
        valid_until=datetime.date(2018, 12, 31),
        **terms,
    )

    assert older.is_current is False
    assert flagged(coffee_farm, "rainforest_alliance") == [open_one.pk]
    assert only_one.is_current is True
    assert flagged(coffee_farm, "utz") == [only_one.pk]


def test_expiry_keeps_the_expired_certificate_current(farm, rainforest, staff, today, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest, days_ago=900)
    change(
        certification,
        staff,
        "certified",
        today - 800 * DAY,
        certificate_number="RA-1",
        valid_from=today - 800 * DAY,
        valid_until=today - 10 * DAY,
    )

    assert certification_expire_due(as_of=today) == 1

    certification.refresh_from_db()
    assert (certification.status, certification.is_current) == ("expired", True)


def test_a_members_withdrawal_leaves_the_withdrawn_certification_current(farm, rainforest, staff, today):
    older = CertificationFactory(farm=farm, standard=rainforest, status=CertificationStatus.EXPIRED)
    CertificationEventFactory(certification=older, to_status="expired", occurred_on=today - 500 * DAY)
    member = farm.member
    member.joined_on = today - 1000 * DAY
    member.save()
    newer = certification_create(
        farm=farm, standard=rainforest, decided_by=staff, occurred_on=today - 100 * DAY, reason="Registered"
    )

    member_withdraw(member=member, withdrawn_on=today, reason="Moved to Lima", decided_by=staff)

    newer.refresh_from_db()
    assert newer.status == "withdrawn"
    assert flagged(farm, "rainforest_alliance") == [newer.pk] == by_events(farm, "rainforest_alliance")


def test_saving_an_instance_loaded_before_a_refresh_does_not_write_its_flag_back(farm, rainforest, staff, today):
    first = certification_create(
        farm=farm, standard=rainforest, decided_by=staff, occurred_on=today - 300 * DAY, reason="Registered"
    )
    change(first, staff, "withdrawn", today - 200 * DAY)
    loaded = Certification.objects.get(pk=first.pk)
    second = certification_create(
        farm=farm, standard=rainforest, decided_by=staff, occurred_on=today, reason="Registered again"
    )

    loaded.certifier = "Control Union"  # e.g. the admin's certificate fields
    loaded.save()  # loaded.is_current is still True in memory

    assert flagged(farm, "rainforest_alliance") == [second.pk]
    assert Certification.objects.get(pk=first.pk).certifier == "Control Union"


def test_a_refresh_that_changes_nothing_costs_two_queries(farm, rainforest):
    certification = CertificationFactory(farm=farm, standard=rainforest)

    with CaptureQueriesContext(connection) as queries:
        current = refresh_current_certification(farm_id=farm.pk, standard_id=rainforest.pk)

    # The group's rows locked; the rule over them.
    assert current == certification.pk
    assert len(queries) == 2


# -- the database and the selectors ---------------------------------------------------------------------------


def test_the_database_allows_one_current_certification_per_farm_and_standard(farm, rainforest, organic):
    current = CertificationFactory(farm=farm, standard=rainforest, status=CertificationStatus.WITHDRAWN)
    closed = CertificationFactory(farm=farm, standard=rainforest, status=CertificationStatus.EXPIRED)
    elsewhere = CertificationFactory(farm=farm, standard=organic, status=CertificationStatus.CANDIDATE)
    for certification in (current, closed, elsewhere):
        certification.refresh_from_db()
    # No event: the latest created of the closed ones is the current one.
    assert (current.is_current, closed.is_current, elsewhere.is_current) == (False, True, True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.filter(pk=current.pk).update(is_current=True)


def test_full_clean_leaves_the_one_current_constraint_to_the_database(farm, rainforest):
    certification = CertificationFactory(farm=farm, standard=rainforest)
    certification.refresh_from_db()

    with CaptureQueriesContext(connection) as queries:
        certification.full_clean()

    assert certification.is_current is True
    assert not [query for query in queries if "is_current" in query["sql"]]


def test_current_certifications_reads_the_stored_flag_without_the_event_log(farm, rainforest, organic, today):
    older = CertificationFactory(farm=farm, standard=rainforest, status=CertificationStatus.EXPIRED)
    CertificationEventFactory(certification=older, to_status="expired", occurred_on=today - 400 * DAY)
    newer = CertificationFactory(farm=farm, standard=rainforest, status=CertificationStatus.WITHDRAWN)
    CertificationEventFactory(certification=newer, to_status="withdrawn", occurred_on=today - 100 * DAY)
    open_one = CertificationFactory(farm=farm, standard=organic)

    stored = current_certifications(Certification.objects.filter(farm=farm))

    assert "certificationevent" not in str(stored.query)
    assert set(stored.values_list("pk", flat=True)) == {newer.pk, open_one.pk}
    assert set(current_certifications_by_events().values_list("pk", flat=True)) == {newer.pk, open_one.pk}
    assert {code: c.pk for code, c in farm_current_certifications(farm=farm).items()} == {
        "rainforest_alliance": newer.pk,
        "organic": open_one.pk,
    }


# -- the reconciler -------------------------------------------------------------------------------------------


@pytest.fixture
def drifted(today):
    """Three farms under Rainforest: one flagged on the wrong certification, one with nothing flagged, one
    right; the first two changed in SQL behind the services' back."""
    wrong = FarmFactory(name="Parcela Alta")
    older = CertificationFactory(farm=wrong, standard=standard("rainforest_alliance"), status="expired")
    CertificationEventFactory(certification=older, to_status="expired", occurred_on=today - 400 * DAY)
    newer = CertificationFactory(farm=wrong, standard=standard("rainforest_alliance"), status="withdrawn")
    CertificationEventFactory(certification=newer, to_status="withdrawn", occurred_on=today - 100 * DAY)
    unflagged = CertificationFactory(farm=FarmFactory(name="Parcela Baja"), standard=standard("rainforest_alliance"))
    right = CertificationFactory(farm=FarmFactory(name="Parcela Media"), standard=standard("rainforest_alliance"))
    assert reconcile_current_certifications().differing == 0
    set_current_in_sql(newer.pk, False)
    set_current_in_sql(older.pk, True)
    set_current_in_sql(unflagged.pk, False)
    return older, newer, unflagged, right


def test_the_reconciler_describes_the_drift_left_by_sql_and_changes_nothing_without_fix(drifted):
    older, newer, unflagged, right = drifted

    drift = reconcile_current_certifications()

    assert (drift.checked, drift.differing, drift.fixed) == (4, 3, False)
    farm = older.farm
    assert drift.examples == [
        f"{farm} – Rainforest Alliance: certification #{older.pk} is marked current; by its events the current "
        f"one is #{newer.pk}",
        f"{unflagged.farm} – Rainforest Alliance: no certification is marked current; by its events it is "
        f"#{unflagged.pk}",
    ]
    assert set(Certification.objects.filter(is_current=True).values_list("pk", flat=True)) == {older.pk, right.pk}


def test_the_reconciler_repairs_only_the_differing_rows_then_finds_none(drifted):
    older, newer, unflagged, right = drifted

    with CaptureQueriesContext(connection) as queries:
        drift = reconcile_current_certifications(fix=True)

    assert (drift.differing, drift.fixed) == (3, True)
    updates = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 2
    assert str(right.pk) not in updates[0].split("IN")[-1] + updates[1].split("IN")[-1]
    assert set(Certification.objects.filter(is_current=True).values_list("pk", flat=True)) == {
        newer.pk,
        unflagged.pk,
        right.pk,
    }
    after = reconcile_current_certifications()
    assert (after.differing, after.examples, after.fixed) == (0, [], False)


def test_the_reconciler_finds_a_status_changed_in_sql(farm, rainforest, today):
    older = CertificationFactory(farm=farm, standard=rainforest, status="expired")
    CertificationEventFactory(certification=older, to_status="expired", occurred_on=today - 400 * DAY)
    newer = CertificationFactory(farm=farm, standard=rainforest, status="withdrawn")
    CertificationEventFactory(certification=newer, to_status="withdrawn", occurred_on=today - 100 * DAY)
    with connection.cursor() as cursor:  # the older one reopened: an open certification is the current one
        cursor.execute("UPDATE certifications_certification SET status = 'candidate' WHERE id = %s", [older.pk])

    assert reconcile_current_certifications(fix=True).differing == 2

    assert flagged(farm, "rainforest_alliance") == [older.pk]
    assert reconcile_current_certifications().differing == 0


# -- the migration and the seeder write it right ----------------------------------------------------------------


def test_the_migration_clears_the_flag_of_superseded_certifications(farm, rainforest, organic, today):
    older = CertificationFactory(farm=farm, standard=rainforest, status="expired")
    CertificationEventFactory(certification=older, to_status="expired", occurred_on=today - 400 * DAY)
    newer = CertificationFactory(farm=farm, standard=rainforest, status="expired")
    CertificationEventFactory(certification=newer, to_status="expired", occurred_on=today - 400 * DAY)  # a tie
    open_one = CertificationFactory(farm=farm, standard=organic)
    CertificationFactory(farm=farm, standard=organic, status="withdrawn")
    with connection.cursor() as cursor:  # as the column is added (the test's transaction brings the index back)
        cursor.execute(f"DROP INDEX {ONE_CURRENT_CONSTRAINT}")
        cursor.execute("UPDATE certifications_certification SET is_current = %s", [True])

    migration = importlib.import_module("certifications.migrations.0007_certification_is_current")
    migration.clear_superseded(apps, None)

    assert set(Certification.objects.filter(is_current=True).values_list("pk", flat=True)) == {newer.pk, open_one.pk}
    assert reconcile_current_certifications().differing == 0


def test_the_seeded_dataset_has_its_current_certifications_marked():
    seed_scale(members=60, progress=False)

    drift = reconcile_current_certifications()

    assert drift.checked == Certification.objects.count() > 0
    assert drift.differing == 0
    groups = Certification.objects.values("farm", "standard").distinct().count()
    assert Certification.objects.filter(is_current=True).count() == groups
