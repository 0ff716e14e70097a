"""Inspection pages: every page for every role, regional scope (404 outside, lists without the rows), the list
filters and pinned query counts. The inspection form: test_inspection_form.py; closing non-conformities and
their list: test_non_conformity_pages.py; declaring conflicts: test_inspection_conflict_pages.py.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the ICS coordinator and the technician
Huánuco; Cusco is out of everybody's scope.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import Inspection, InspectionAnswer, InspectorConflict, NonConformity
from tests.certifications.conftest import (
    active_requirements,
    certified_farm,
    create_url,
    inspection_form_data,
    inspection_rows_written,
    make_inspector,
    record,
)
from tests.factories import InspectorConflictFactory, region

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

READERS = ["manager_client", "ics_client", "technician_client"]
ICS_MANAGERS = ["manager_client", "ics_client"]
REFUSED = ["credit_officer_client", "outsider_client"]


@pytest.fixture
def cusco_inspection() -> Inspection:
    farm = certified_farm("organic", region_name="Cusco", name="Santa Rosa")
    return record(farm, "organic", inspector=make_inspector("cusqueno", regions=("Cusco",)), non_compliant=("ORG-08",))


def read_urls(inspection: Inspection) -> list[str]:
    return [
        reverse("inspection_list"),
        reverse("inspection_detail", args=[inspection.pk]),
        reverse("nonconformity_list"),
        reverse("conflict_list"),
        reverse("inspection_create"),
        reverse("inspection_create") + f"?farm={inspection.farm_id}",
        reverse("inspection_create") + f"?farm={inspection.farm_id}&standards=organic",
    ]


def manager_urls(nc: NonConformity) -> list[str]:
    return [reverse("nonconformity_close", args=[nc.pk]), reverse("conflict_create")]


# -- who may open what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", READERS)
def test_every_ics_role_reads_the_inspection_pages(request, role_client, inspection):
    client = request.getfixturevalue(role_client)

    for url in read_urls(inspection):
        response = client.get(url, **EN)
        assert response.status_code == 200, url
    content = client.get(reverse("inspection_detail", args=[inspection.pk]), **EN).content.decode()
    assert "La Esperanza" in content
    assert "ORG-08" in content and "Retirar los insumos" in content


@pytest.mark.parametrize("role_client", ICS_MANAGERS)
def test_ics_managers_open_the_close_and_conflict_forms(request, role_client, nc):
    client = request.getfixturevalue(role_client)

    for url in manager_urls(nc):
        assert client.get(url, **EN).status_code == 200, url


def test_the_technician_is_refused_the_managers_forms_and_changes_nothing(technician_client, nc):
    member = nc.farm.member
    for url in manager_urls(nc):
        assert technician_client.get(url).status_code == 403, url
    technician_client.post(
        reverse("nonconformity_close", args=[nc.pk]),
        {"closed_on": timezone.localdate().isoformat(), "closing_note": "Ok", "confirm": "on"},
    )
    technician_client.post(
        reverse("conflict_create"),
        {"inspector": technician_client.user.pk, "member_code": member.code, "relationship": "own"},
    )

    nc.refresh_from_db()
    assert nc.is_open
    assert not InspectorConflict.objects.exists()


def test_the_technician_sees_no_close_links(technician_client, inspection, nc):
    content = technician_client.get(reverse("inspection_detail", args=[inspection.pk])).content.decode()
    listing = technician_client.get(reverse("nonconformity_list")).content.decode()

    assert reverse("nonconformity_close", args=[nc.pk]) not in content
    assert reverse("nonconformity_close", args=[nc.pk]) not in listing
    assert reverse("conflict_create") not in technician_client.get(reverse("conflict_list")).content.decode()


def test_ics_managers_see_the_close_and_declare_links(ics_client, inspection, nc):
    content = ics_client.get(reverse("inspection_detail", args=[inspection.pk])).content.decode()

    assert reverse("nonconformity_close", args=[nc.pk]) in content
    assert reverse("conflict_create") in ics_client.get(reverse("conflict_list")).content.decode()


@pytest.mark.parametrize("role_client", REFUSED)
def test_credit_officers_and_users_without_a_role_are_refused_every_page(
    request, role_client, inspection, nc, candidate_farm
):
    client = request.getfixturevalue(role_client)
    before = inspection_rows_written()

    for url in read_urls(inspection) + manager_urls(nc):
        assert client.get(url).status_code == 403, url
    posted = client.post(create_url(candidate_farm, "organic"), inspection_form_data("organic", inspector=client.user))

    assert posted.status_code == 403
    assert inspection_rows_written() == before


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, inspection, nc):
    for url in read_urls(inspection) + manager_urls(nc):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


# -- scope ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", READERS)
def test_objects_outside_the_users_regions_are_not_found_and_not_listed(
    request, role_client, inspection, cusco_inspection
):
    client = request.getfixturevalue(role_client)
    cusco_nc = cusco_inspection.non_conformities.get()
    InspectorConflictFactory(member=cusco_inspection.farm.member)
    InspectorConflictFactory(member=inspection.farm.member)

    assert client.get(reverse("inspection_detail", args=[cusco_inspection.pk])).status_code == 404
    assert client.get(create_url(cusco_inspection.farm)).status_code == 404
    assert client.get(create_url(cusco_inspection.farm, "organic")).status_code == 404
    assert [i.pk for i in client.get(reverse("inspection_list")).context["page_obj"]] == [inspection.pk]
    assert cusco_nc.pk not in [n.pk for n in client.get(reverse("nonconformity_list")).context["page_obj"]]
    conflicts = client.get(reverse("conflict_list")).context["page_obj"]
    assert [c.member for c in conflicts] == [inspection.farm.member]


@pytest.mark.parametrize("role_client", ICS_MANAGERS)
def test_a_non_conformity_outside_the_regions_cannot_be_closed(request, role_client, cusco_inspection):
    client = request.getfixturevalue(role_client)
    cusco_nc = cusco_inspection.non_conformities.get()

    response = client.post(
        reverse("nonconformity_close", args=[cusco_nc.pk]),
        {"closed_on": timezone.localdate().isoformat(), "closing_note": "Ok", "confirm": "on"},
    )

    assert response.status_code == 404
    cusco_nc.refresh_from_db()
    assert cusco_nc.is_open


def test_the_manager_sees_san_martin_and_the_coordinator_does_not(manager_client, inspection):
    san_martin = certified_farm("organic", region_name="San Martín")
    other = record(san_martin, "organic", inspector=make_inspector("sanmartin", regions=("San Martín",)))

    assert manager_client.get(reverse("inspection_detail", args=[other.pk])).status_code == 200
    listed = {i.pk for i in manager_client.get(reverse("inspection_list")).context["page_obj"]}
    assert listed == {inspection.pk, other.pk}


def test_the_coordinator_does_not_see_san_martin(ics_client):
    san_martin = certified_farm("organic", region_name="San Martín")
    other = record(san_martin, "organic", inspector=make_inspector("sanmartin", regions=("San Martín",)))

    assert ics_client.get(reverse("inspection_detail", args=[other.pk])).status_code == 404


def test_a_malformed_farm_parameter_is_not_found(technician_client):
    assert technician_client.get(reverse("inspection_create") + "?farm=abc").status_code == 404
    assert technician_client.get(reverse("inspection_create") + "?farm=999999").status_code == 404


# -- inspection list filters ------------------------------------------------------------------------------------


def test_the_inspection_list_filters(manager_client, inspector):
    today = timezone.localdate()
    other_inspector = make_inspector("otro", regions=("Huánuco", "San Martín"))
    first = record(certified_farm("organic"), "organic", inspector=inspector, inspected_on=today - 30 * DAY)
    second = record(
        certified_farm("organic", "rainforest_alliance", region_name="San Martín"),
        "rainforest_alliance",
        inspector=other_inspector,
        inspected_on=today - 5 * DAY,
        non_compliant=("RA-22",),
    )

    def listed(query: str) -> list[int]:
        return [i.pk for i in manager_client.get(reverse("inspection_list") + query).context["page_obj"]]

    assert listed("") == [second.pk, first.pk]
    assert listed("?standard=organic") == [first.pk]
    assert listed(f"?region={region('San Martín').pk}") == [second.pk]
    assert listed(f"?inspector={inspector.pk}") == [first.pk]
    assert listed(f"?inspected_from={(today - 10 * DAY).isoformat()}") == [second.pk]
    assert listed(f"?inspected_to={(today - 10 * DAY).isoformat()}") == [first.pk]
    assert listed("?recommendation=conditions") == [second.pk]
    assert listed(f"?region={region('Cusco').pk}") == [second.pk, first.pk]  # not a choice: ignored
    response = manager_client.get(
        reverse("inspection_list") + f"?inspected_from={today.isoformat()}&inspected_to={(today - DAY).isoformat()}",
        **EN,
    )
    assert response.context["form"].errors["inspected_to"] == ["The end date must not be before the start date."]


# -- pinned query counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("inspections", [1, 20])
def test_the_inspection_list_query_count_does_not_grow_with_its_rows(
    ics_client, django_assert_num_queries, inspector, inspections
):
    for _ in range(inspections):
        record(certified_farm("organic", "rainforest_alliance"), "organic", "rainforest_alliance", inspector=inspector)
    ics_client.get(reverse("inspection_list"))  # session and roles warm-up

    # session, user, roles; scope (does a role cover all regions?); COUNT for the paginator; the page of
    # inspections with farm, member, region, inspector and NC counts; their standards; the choices of the
    # standard, region and inspector selects.
    with django_assert_num_queries(10):
        response = ics_client.get(reverse("inspection_list"))

    assert len(response.context["page_obj"]) == inspections


@pytest.mark.parametrize("non_conformities", [1, 20])
def test_the_non_conformity_list_query_count_does_not_grow_with_its_rows(
    ics_client, django_assert_num_queries, inspector, non_conformities
):
    codes = tuple(r.code for r in active_requirements("organic") if not r.critical)[:non_conformities]
    record(certified_farm("organic"), "organic", inspector=inspector, non_compliant=codes)
    ics_client.get(reverse("nonconformity_list"))  # session and roles warm-up

    # session, user, roles; scope; COUNT for the paginator; the page of non-conformities with farm, member,
    # region, standard, requirement, inspection, inspector and verifier; the standard and region choices.
    with django_assert_num_queries(8):
        response = ics_client.get(reverse("nonconformity_list"))

    assert len(response.context["page_obj"]) == non_conformities


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_inspection_page_query_count_does_not_grow_with_answers_or_non_conformities(
    ics_client, django_assert_num_queries, inspector, size
):
    if size == "small":
        farm = certified_farm("organic")
        inspection = record(farm, "organic", inspector=inspector, non_compliant=("ORG-08",))
    else:
        farm = certified_farm("organic", "rainforest_alliance", "cafe_practices")
        codes = ("ORG-02", "ORG-08", "ORG-10", "RA-07", "RA-22", "CAFE-12", "CAFE-20")
        inspection = record(
            farm, "organic", "rainforest_alliance", "cafe_practices", inspector=inspector, non_compliant=codes
        )
        closed = inspection.non_conformities.first()
        NonConformity.objects.filter(pk=closed.pk).update(
            closed_on=timezone.localdate(), verified_by=make_inspector("verificadora", role="ics_coordinator")
        )
    ics_client.get(reverse("inspection_list"))  # session and roles warm-up

    # session, user, roles; scope; the inspection with farm, member, region and inspector; its standards;
    # its answers with requirement, checklist, standard, non-conformity and verifier.
    with django_assert_num_queries(7):
        response = ics_client.get(reverse("inspection_detail", args=[inspection.pk]))

    assert response.status_code == 200
    assert (
        sum(len(group.answers) for group in response.context["groups"])
        == InspectionAnswer.objects.filter(inspection=inspection).count()
    )


@pytest.mark.parametrize("conflicts", [1, 20])
def test_the_conflict_list_query_count_does_not_grow_with_its_rows(ics_client, django_assert_num_queries, conflicts):
    InspectorConflictFactory.create_batch(conflicts)
    ics_client.get(reverse("conflict_list"))  # session and roles warm-up

    # session, user, roles; scope; COUNT for the paginator; the page with inspector, member and region.
    with django_assert_num_queries(6):
        response = ics_client.get(reverse("conflict_list"))

    assert len(response.context["page_obj"]) == conflicts
