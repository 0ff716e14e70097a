"""The inspection selectors other pages build on (certifications.selectors.inspections): the open critical
non-conformities of a farm under a standard, and each farm's last inspection and its result."""

import datetime

import pytest

from certifications.models import NonConformity
from certifications.selectors.inspections import open_critical_non_conformities, with_last_inspection
from certifications.services.non_conformities import non_conformity_close
from members.models import Farm
from tests.certifications.conftest import certified_farm, make_inspector, record
from tests.factories import standard

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# -- selectors ------------------------------------------------------------------------------------------------


def test_open_critical_non_conformities_lists_only_the_open_critical_ones_of_the_farm_and_standard(
    candidate_farm, inspector, today
):
    record(
        candidate_farm,
        "organic",
        "rainforest_alliance",
        inspector=inspector,
        non_compliant=("ORG-07", "ORG-08", "ORG-11", "RA-10"),
        recommendation="sanction",
    )
    other_farm = certified_farm("organic")
    record(other_farm, "organic", inspector=inspector, non_compliant=("ORG-14",), recommendation="exclude")
    verifier = make_inspector("coordinadora", role="ics_coordinator")
    org_11 = NonConformity.objects.get(farm=candidate_farm, requirement__code="ORG-11")
    non_conformity_close(non_conformity=org_11, closed_on=today, verified_by=verifier, closing_note="Verificado")

    found = open_critical_non_conformities(farm=candidate_farm, standard=standard("organic"))

    assert [nc.requirement.code for nc in found] == ["ORG-07"]
    assert not open_critical_non_conformities(farm=candidate_farm, standard=standard("cafe_practices")).exists()


def test_with_last_inspection_annotates_the_latest_inspection_and_its_result(inspector, today):
    never = certified_farm("organic", "rainforest_alliance")
    fixed = certified_farm("organic", "rainforest_alliance")
    failing = certified_farm("organic", "rainforest_alliance")
    record(fixed, "organic", inspector=inspector, inspected_on=today - 40 * DAY, non_compliant=("ORG-08",))
    record(fixed, "organic", inspector=inspector, inspected_on=today - 5 * DAY)
    record(failing, "organic", inspector=inspector, inspected_on=today - 40 * DAY)
    record(
        failing,
        "organic",
        "rainforest_alliance",
        inspector=inspector,
        inspected_on=today - 3 * DAY,
        non_compliant=("RA-22",),
    )

    rows = {farm.pk: farm for farm in with_last_inspection(Farm.objects.all())}
    organic = {farm.pk: farm for farm in with_last_inspection(Farm.objects.all(), standard("organic"))}
    rainforest = {farm.pk: farm for farm in with_last_inspection(Farm.objects.all(), standard("rainforest_alliance"))}

    assert (rows[never.pk].last_inspected_on, rows[never.pk].last_inspection_result) == (None, None)
    assert (rows[fixed.pk].last_inspected_on, rows[fixed.pk].last_inspection_result) == (today - 5 * DAY, "compliant")
    assert (rows[failing.pk].last_inspected_on, rows[failing.pk].last_inspection_result) == (
        today - 3 * DAY,
        "non_compliant",
    )
    # Under organic the last inspection raised nothing (the RA-22 finding is Rainforest Alliance's).
    assert organic[failing.pk].last_inspection_result == "compliant"
    assert rainforest[failing.pk].last_inspection_result == "non_compliant"
    assert (rainforest[fixed.pk].last_inspected_on, rainforest[fixed.pk].last_inspection_result) == (None, None)


def test_with_last_inspection_adds_no_query(django_assert_num_queries, inspector):
    for _ in range(3):
        record(certified_farm("organic"), "organic", inspector=inspector)

    # 1: the farms with both subqueries.
    with django_assert_num_queries(1):
        rows = [(farm.last_inspected_on, farm.last_inspection_result) for farm in with_last_inspection(Farm.objects)]

    assert len(rows) == 3
