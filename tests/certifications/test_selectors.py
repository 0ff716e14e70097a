import datetime

import pytest

from certifications.models import Certification
from certifications.selectors.certifications import (
    certifications_expiring,
    certifications_for_list,
    certified_farm_counts,
    farm_current_certifications,
)
from tests import factories

DAY = datetime.timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_the_certification_list_takes_one_query_however_many_rows(django_assert_num_queries, rainforest, rows):
    factories.CertificationFactory.create_batch(rows, standard=rainforest)

    # 1: certifications joined with farm, member, region and standard.
    with django_assert_num_queries(1):
        listed = [
            (str(c.farm), c.farm.member.full_name, c.farm.region.name, c.standard.name, c.get_status_display())
            for c in certifications_for_list()
        ]

    assert len(listed) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_the_expiring_list_takes_one_query_however_many_rows(django_assert_num_queries, rainforest, today, rows):
    factories.CertificationFactory.create_batch(
        rows,
        standard=rainforest,
        status="certified",
        certificate_number="RA-1",
        valid_from=today - 1000 * DAY,
        valid_until=today + 30 * DAY,
    )

    # 1: certified certifications ending in the window, joined with farm, member, region and standard.
    with django_assert_num_queries(1):
        listed = [(str(c.farm), c.farm.region.name, c.standard.name) for c in certifications_expiring(as_of=today)]

    assert len(listed) == rows


@pytest.mark.django_db
def test_expiring_lists_held_certificates_ending_within_the_window_soonest_first(rainforest, organic, today):
    def make(standard=rainforest, status="certified", ends_in=30):
        return factories.CertificationFactory(
            standard=standard,
            status=status,
            certificate_number="X-1",
            valid_from=today - 300 * DAY,
            valid_until=today + ends_in * DAY,
        )

    later = make(ends_in=60)
    sooner = make(standard=organic, ends_in=1)
    suspended = make(status="suspended", ends_in=20)
    make(ends_in=61)
    make(ends_in=-1)
    make(status="withdrawn", ends_in=10)

    assert list(certifications_expiring(within_days=60, as_of=today)) == [sooner, suspended, later]
    assert list(certifications_expiring(within_days=10, as_of=today)) == [sooner]


@pytest.mark.django_db
def test_farm_counts_are_grouped_by_standard_and_status(django_assert_num_queries, rainforest, organic):
    farm = factories.FarmFactory()
    factories.CertificationFactory(farm=farm, standard=rainforest, status="withdrawn")
    factories.CertificationFactory(farm=farm, standard=rainforest, status="withdrawn")
    factories.CertificationFactory(farm=farm, standard=rainforest, status="candidate")
    factories.CertificationFactory.create_batch(2, standard=rainforest, status="candidate")
    factories.CertificationFactory(standard=organic, status="in_conversion", conversion_stage="c2")

    # 1: one GROUP BY over certifications joined with standards.
    with django_assert_num_queries(1):
        rows = certified_farm_counts()

    assert rows == [
        {"standard_code": "organic", "standard_name": "Orgánico", "status": "in_conversion", "farms": 1},
        {
            "standard_code": "rainforest_alliance",
            "standard_name": "Rainforest Alliance",
            "status": "candidate",
            "farms": 3,
        },
        {
            "standard_code": "rainforest_alliance",
            "standard_name": "Rainforest Alliance",
            "status": "withdrawn",
            "farms": 1,
        },
    ]


@pytest.mark.django_db
def test_farm_counts_respect_the_queryset_given(rainforest, organic):
    factories.CertificationFactory(standard=rainforest, status="candidate")
    factories.CertificationFactory(standard=organic, status="candidate")

    rows = certified_farm_counts(Certification.objects.filter(standard=organic))

    assert [(row["standard_code"], row["farms"]) for row in rows] == [("organic", 1)]


@pytest.mark.django_db
def test_a_farms_current_certification_is_the_open_one_or_else_the_latest_closed(
    django_assert_num_queries, farm, rainforest, utz, today, open_candidate
):
    # Closed after the open one was opened: an open certification still wins.
    factories.CertificationEventFactory(
        certification__farm=farm,
        certification__standard=rainforest,
        certification__status="withdrawn",
        to_status="withdrawn",
        occurred_on=today - 10 * DAY,
    )
    current_ra = open_candidate(farm=farm, standard=rainforest, days_ago=30)
    factories.CertificationEventFactory(
        certification__farm=farm,
        certification__standard=utz,
        certification__status="expired",
        to_status="expired",
        occurred_on=datetime.date(2019, 1, 1),
    )
    newer_utz = factories.CertificationEventFactory(
        certification__farm=farm,
        certification__standard=utz,
        certification__status="expired",
        to_status="expired",
        occurred_on=datetime.date(2020, 1, 1),
    ).certification
    # Recorded after the newer one, dated before it: the dates decide, not the order of entry.
    factories.CertificationEventFactory(
        certification__farm=farm,
        certification__standard=utz,
        certification__status="withdrawn",
        to_status="withdrawn",
        occurred_on=datetime.date(2018, 1, 1),
    )

    # 1: the farm's certifications with their standard and the date of their last event.
    with django_assert_num_queries(1):
        current = farm_current_certifications(farm=farm)

    assert current == {"rainforest_alliance": current_ra, "utz": newer_utz}
    assert current["utz"].last_event_on == datetime.date(2020, 1, 1)
