"""Inspection pages: every page for every role, regional scope (404 outside, lists without the rows), the
three-step inspection form, closing non-conformities, declaring conflicts, list filters, pinned query counts.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the ICS coordinator and the technician
Huánuco; Cusco is out of everybody's scope.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.inspections import non_conformity_close
from certifications.models import Inspection, InspectionAnswer, InspectorConflict, NonConformity
from tests.certifications.test_inspections import (
    active_requirements,
    certified_farm,
    make_inspector,
    nc_details,
    record,
    rows_written,
)
from tests.factories import InspectorConflictFactory, MemberFactory, region

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

READERS = ["manager_client", "ics_client", "technician_client"]
ICS_MANAGERS = ["manager_client", "ics_client"]
REFUSED = ["credit_officer_client", "outsider_client"]


@pytest.fixture
def inspector():
    return make_inspector("inspectora")


@pytest.fixture
def farm():
    return certified_farm("organic", "rainforest_alliance", name="La Esperanza")


@pytest.fixture
def inspection(farm, inspector) -> Inspection:
    return record(farm, "organic", inspector=inspector, non_compliant=("ORG-08",))


@pytest.fixture
def nc(inspection) -> NonConformity:
    return inspection.non_conformities.get()


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


def inspection_form_data(*codes: str, inspector, non_compliant: tuple[str, ...] = (), **overrides) -> dict:
    """The POST of the inspection form: every requirement compliant unless named."""
    today = timezone.localdate()
    data = {
        "inspector": inspector.pk,
        "inspected_on": (today - DAY).isoformat(),
        "interviewee": "Juana Ríos (esposa del socio)",
        "estimated_yield_kg": "1250.50",
        "inputs_used": "Compost 2 t",
        "recommendation": "conditions" if non_compliant else "approve",
        "recommendation_note": "",
    }
    for requirement in active_requirements(*codes):
        prefix = f"r{requirement.pk}_"
        if requirement.code in non_compliant:
            data[prefix + "answer"] = "non_compliant"
            data[prefix + "note"] = "Sacos de urea en el almacén"
            data[prefix + "severity"] = "critical" if requirement.critical else "major"
            data[prefix + "description"] = "Urea"
            data[prefix + "action"] = "Retirar la urea"
            data[prefix + "deadline"] = (today + 30 * DAY).isoformat()
        else:
            data[prefix + "answer"] = "compliant"
    data.update(overrides)
    return data


def create_url(farm, *codes: str) -> str:
    query = "".join(f"&standards={code}" for code in codes)
    return reverse("inspection_create") + f"?farm={farm.pk}{query}"


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
def test_credit_officers_and_users_without_a_role_are_refused_every_page(request, role_client, inspection, nc, farm):
    client = request.getfixturevalue(role_client)
    before = rows_written()

    for url in read_urls(inspection) + manager_urls(nc):
        assert client.get(url).status_code == 403, url
    posted = client.post(create_url(farm, "organic"), inspection_form_data("organic", inspector=client.user))

    assert posted.status_code == 403
    assert rows_written() == before


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


# -- recording an inspection ------------------------------------------------------------------------------------


def test_step_one_finds_farms_in_the_inspectors_regions(technician_client, farm):
    certified_farm("organic", region_name="Cusco", name="La Esperanza del Cusco")

    response = technician_client.get(reverse("inspection_create") + "?q=esperanza", **EN)

    assert [found.pk for found in response.context["farms"]] == [farm.pk]
    assert f"?farm={farm.pk}" in response.content.decode()


def test_step_two_offers_the_farms_open_certifications(technician_client, farm):
    response = technician_client.get(create_url(farm), **EN)

    content = response.content.decode()
    assert [option.standard.code for option in response.context["options"]] == ["organic", "rainforest_alliance"]
    assert 'value="organic"' in content and 'value="rainforest_alliance"' in content
    assert 'value="cafe_practices"' not in content


def test_a_standard_without_an_open_certification_is_not_offered(technician_client, farm):
    response = technician_client.get(create_url(farm, "cafe_practices"), **EN)

    assert response.context["invalid"] is True
    assert "form" not in response.context
    assert "Choose among the standards below" in response.content.decode()


def test_step_three_asks_every_requirement_of_the_chosen_standards(technician_client, farm):
    response = technician_client.get(create_url(farm, "organic", "rainforest_alliance"), **EN)

    form = response.context["form"]
    expected = active_requirements("organic", "rainforest_alliance")
    assert [requirement.pk for requirement in form.requirements] == [requirement.pk for requirement in expected]
    content = response.content.decode()
    for requirement in expected:
        assert f'name="r{requirement.pk}_answer"' in content
    assert 'value="non_compliant"' in content and 'value="not_applicable"' in content
    # A critical requirement offers only the critical severity.
    org_07 = next(requirement for requirement in expected if requirement.code == "ORG-07")
    assert form.fields[f"r{org_07.pk}_severity"].choices == [("critical", "Critical")]


def test_the_technician_records_an_inspection_as_its_inspector(technician_client, farm):
    data = inspection_form_data(
        "organic", "rainforest_alliance", inspector=technician_client.user, non_compliant=("ORG-08", "RA-22")
    )

    response = technician_client.post(create_url(farm, "organic", "rainforest_alliance"), data)

    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("inspection_detail", args=[inspection.pk])
    assert (inspection.farm, inspection.inspector) == (farm, technician_client.user)
    assert inspection.interviewee == "Juana Ríos (esposa del socio)"
    assert set(inspection.standards.values_list("code", flat=True)) == {"organic", "rainforest_alliance"}
    assert inspection.answers.count() == len(active_requirements("organic", "rainforest_alliance"))
    assert sorted(inspection.non_conformities.values_list("requirement__code", "severity")) == [
        ("ORG-08", "major"),
        ("RA-22", "major"),
    ]
    assert inspection.history.get().history_user == technician_client.user


def test_a_non_compliant_answer_without_its_action_and_deadline_shows_errors_and_writes_nothing(
    technician_client, farm
):
    org_08 = next(r for r in active_requirements("organic") if r.code == "ORG-08")
    data = inspection_form_data("organic", inspector=technician_client.user, non_compliant=("ORG-08",))
    data[f"r{org_08.pk}_action"] = ""
    data[f"r{org_08.pk}_deadline"] = ""
    data[f"r{org_08.pk}_severity"] = ""

    response = technician_client.post(create_url(farm, "organic"), data, **EN)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[f"r{org_08.pk}_action"] == ["Describe the corrective action."]
    assert errors[f"r{org_08.pk}_deadline"] == ["Give the deadline."]
    assert errors[f"r{org_08.pk}_severity"] == ["Choose the severity."]
    assert "Describe the corrective action." in response.content.decode()
    assert rows_written() == (0, 0, 0)


def test_an_unanswered_requirement_is_marked_and_nothing_is_written(technician_client, farm):
    org_03 = next(r for r in active_requirements("organic") if r.code == "ORG-03")
    data = inspection_form_data("organic", inspector=technician_client.user)
    del data[f"r{org_03.pk}_answer"]

    response = technician_client.post(create_url(farm, "organic"), data)

    assert response.context["form"].errors[f"r{org_03.pk}_answer"] == ["Answer this requirement."]
    assert rows_written() == (0, 0, 0)


def test_a_non_conformity_described_on_a_compliant_answer_is_refused(technician_client, farm):
    org_05 = next(r for r in active_requirements("organic") if r.code == "ORG-05")
    data = inspection_form_data("organic", inspector=technician_client.user)
    data[f"r{org_05.pk}_action"] = "Algo"

    response = technician_client.post(create_url(farm, "organic"), data)

    assert response.context["form"].errors[f"r{org_05.pk}_answer"] == [
        "You described a non-conformity: answer non-compliant, or clear the non-conformity fields."
    ]
    assert rows_written() == (0, 0, 0)


def test_a_technician_cannot_record_in_someone_elses_name(technician_client, farm, inspector):
    data = inspection_form_data("organic", inspector=inspector)

    response = technician_client.post(create_url(farm, "organic"), data)

    assert response.status_code == 200
    assert "inspector" in response.context["form"].errors
    assert rows_written() == (0, 0, 0)


def test_the_coordinator_records_a_paper_inspection_in_the_inspectors_name(ics_client, farm, inspector):
    response = ics_client.post(create_url(farm, "organic"), inspection_form_data("organic", inspector=inspector))

    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.inspector == inspector
    assert inspection.history.get().history_user == ics_client.user


def test_a_declared_conflict_is_shown_on_the_inspector_and_nothing_is_written(technician_client, farm):
    InspectorConflictFactory(inspector=technician_client.user, member=farm.member, relationship="own")

    response = technician_client.post(
        create_url(farm, "organic"), inspection_form_data("organic", inspector=technician_client.user), **EN
    )

    assert response.status_code == 200
    (message,) = response.context["form"].errors["inspector"]
    assert "declared a conflict of interest" in message and "(own farm (the inspector is the member))" in message
    assert rows_written() == (0, 0, 0)


def test_a_second_inspection_the_same_day_is_refused_under_the_date(technician_client, farm, inspector):
    record(farm, "organic", inspector=inspector, inspected_on=timezone.localdate() - DAY)

    response = technician_client.post(
        create_url(farm, "organic"), inspection_form_data("organic", inspector=technician_client.user)
    )

    assert response.status_code == 200
    assert "was already inspected under Orgánico" in response.context["form"].errors["inspected_on"][0]
    assert Inspection.objects.count() == 1


def test_service_errors_without_a_field_show_above_the_form(technician_client, farm):
    data = inspection_form_data("organic", inspector=technician_client.user, non_compliant=("ORG-08",))
    data["recommendation"] = "approve"

    response = technician_client.post(create_url(farm, "organic"), data, **EN)

    assert response.context["form"].errors["recommendation"] == [
        "This inspection raises 1 non-conformity: recommend approval with conditions, a sanction or exclusion."
    ]
    assert rows_written() == (0, 0, 0)


def test_a_farm_without_open_certifications_offers_nothing(technician_client):
    bare = certified_farm(name="Sin certificación")

    response = technician_client.get(create_url(bare), **EN)

    assert response.context["options"] == []
    assert "has no open certification" in response.content.decode()


# -- non-conformities -------------------------------------------------------------------------------------------


def test_the_manager_closes_a_non_conformity_after_confirming(manager_client, nc):
    today = timezone.localdate()
    url = reverse("nonconformity_close", args=[nc.pk])

    unconfirmed = manager_client.post(url, {"closed_on": today.isoformat(), "closing_note": "Verificado"})
    nc.refresh_from_db()
    assert unconfirmed.context["form"].errors["confirm"] == ["Tick the box to confirm the closing."]
    assert nc.is_open

    response = manager_client.post(url, {"closed_on": today.isoformat(), "closing_note": "Verificado", "confirm": "on"})

    assert response.status_code == 302
    assert response.url == reverse("inspection_detail", args=[nc.inspection_id])
    nc.refresh_from_db()
    assert (nc.closed_on, nc.verified_by, nc.closing_note) == (today, manager_client.user, "Verificado")


def test_the_inspector_who_raised_it_cannot_close_it_from_the_page(ics_client, farm):
    inspection = record(farm, "organic", inspector=ics_client.user, non_compliant=("ORG-08",))
    nc = inspection.non_conformities.get()

    response = ics_client.post(
        reverse("nonconformity_close", args=[nc.pk]),
        {"closed_on": timezone.localdate().isoformat(), "closing_note": "Listo", "confirm": "on"},
        **EN,
    )

    assert response.status_code == 200
    assert "another person must verify its correction" in response.content.decode()
    nc.refresh_from_db()
    assert nc.is_open


def test_a_closed_non_conformity_shows_who_closed_it_and_cannot_be_closed_again(manager_client, nc):
    today = timezone.localdate()
    coordinator = make_inspector("coordinadora", role="ics_coordinator")
    non_conformity_close(non_conformity=nc, closed_on=today, verified_by=coordinator, closing_note="Verificado")

    page = manager_client.get(reverse("nonconformity_close", args=[nc.pk]), **EN)
    response = manager_client.post(
        reverse("nonconformity_close", args=[nc.pk]),
        {"closed_on": today.isoformat(), "closing_note": "Otra vez", "confirm": "on"},
        **EN,
    )

    assert "This non-conformity was closed on" in page.content.decode()
    assert "Coordinadora Quispe" in page.content.decode()
    assert response.status_code == 200
    nc.refresh_from_db()
    assert (nc.verified_by, nc.closing_note) == (coordinator, "Verificado")


def _ncs(client, query: str = "") -> list[str]:
    return [nc.requirement.code for nc in client.get(reverse("nonconformity_list") + query).context["page_obj"]]


def test_the_non_conformity_list_shows_open_ones_by_default_and_overdue_ones_on_request(ics_client, farm, inspector):
    today = timezone.localdate()
    record(
        farm,
        "organic",
        inspector=inspector,
        inspected_on=today - 60 * DAY,
        non_compliant=("ORG-08", "ORG-10", "ORG-12"),
        non_conformities=nc_details("ORG-08", "ORG-10", "ORG-12", deadline=today - DAY)
        | nc_details("ORG-12", deadline=today + 10 * DAY),
    )
    org_10 = NonConformity.objects.get(requirement__code="ORG-10")
    NonConformity.objects.filter(pk=org_10.pk).update(
        closed_on=today, verified_by=make_inspector("verificadora", role="ics_coordinator")
    )

    assert _ncs(ics_client) == ["ORG-08", "ORG-12"]
    assert _ncs(ics_client, "?state=overdue") == ["ORG-08"]
    assert _ncs(ics_client, "?state=closed") == ["ORG-10"]
    assert sorted(_ncs(ics_client, "?state=all")) == ["ORG-08", "ORG-10", "ORG-12"]
    assert _ncs(ics_client, "?severity=critical") == []
    assert _ncs(ics_client, "?standard=rainforest_alliance") == []
    assert _ncs(ics_client, "?state=bogus") == ["ORG-08", "ORG-12"]
    overdue_page = ics_client.get(reverse("nonconformity_list") + "?state=overdue", **EN).content.decode()
    assert "Overdue non-conformities" in overdue_page


# -- conflicts of interest --------------------------------------------------------------------------------------


def test_the_coordinator_declares_a_conflict_by_member_code(ics_client, farm, inspector):
    response = ics_client.post(
        reverse("conflict_create"),
        {
            "inspector": inspector.pk,
            "member_code": farm.member.code.lower(),
            "relationship": "relative",
            "declared_on": timezone.localdate().isoformat(),
            "note": "Hermana del socio",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("conflict_list")
    conflict = InspectorConflict.objects.get()
    assert (conflict.inspector, conflict.member, conflict.relationship) == (inspector, farm.member, "relative")
    assert conflict.history.get().history_user == ics_client.user


def test_a_member_outside_the_regions_or_declared_twice_is_refused(ics_client, farm, inspector):
    cusco_member = MemberFactory(region=region("Cusco"))
    InspectorConflictFactory(inspector=inspector, member=farm.member)
    data = {"inspector": inspector.pk, "relationship": "other", "declared_on": timezone.localdate().isoformat()}

    outside = ics_client.post(reverse("conflict_create"), data | {"member_code": cusco_member.code}, **EN)
    twice = ics_client.post(reverse("conflict_create"), data | {"member_code": farm.member.code}, **EN)

    assert outside.context["form"].errors["member_code"] == ["No member in your regions has this code."]
    assert twice.context["form"].errors["member_code"][0].startswith("Inspectora Quispe already declared")
    assert InspectorConflict.objects.count() == 1


def test_only_inspectors_of_the_users_regions_can_be_chosen(ics_client, farm):
    cusco_inspector = make_inspector("cusqueno", regions=("Cusco",))
    form = ics_client.get(reverse("conflict_create")).context["form"]

    choices = list(form.fields["inspector"].queryset)
    assert cusco_inspector not in choices
    assert ics_client.user in choices


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
