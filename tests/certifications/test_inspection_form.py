"""The three-step inspection form (inspection_create): find the farm, choose among its open certifications,
answer every requirement; who records in whose name, and every refusal shown on the form, writing nothing.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the ICS coordinator and the technician
Huánuco; Cusco is out of everybody's scope.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import Inspection
from tests.certifications.conftest import (
    active_requirements,
    certified_farm,
    create_url,
    inspection_form_data,
    inspection_rows_written,
    record,
)
from tests.factories import InspectorConflictFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# -- recording an inspection ------------------------------------------------------------------------------------


def test_step_one_finds_farms_in_the_inspectors_regions(technician_client, candidate_farm):
    certified_farm("organic", region_name="Cusco", name="La Esperanza del Cusco")

    response = technician_client.get(reverse("inspection_create") + "?q=esperanza", **EN)

    assert [found.pk for found in response.context["farms"]] == [candidate_farm.pk]
    assert f"?farm={candidate_farm.pk}" in response.content.decode()


def test_step_two_offers_the_farms_open_certifications(technician_client, candidate_farm):
    response = technician_client.get(create_url(candidate_farm), **EN)

    content = response.content.decode()
    assert [option.standard.code for option in response.context["options"]] == ["organic", "rainforest_alliance"]
    assert 'value="organic"' in content and 'value="rainforest_alliance"' in content
    assert 'value="cafe_practices"' not in content


def test_a_standard_without_an_open_certification_is_not_offered(technician_client, candidate_farm):
    response = technician_client.get(create_url(candidate_farm, "cafe_practices"), **EN)

    assert response.context["invalid"] is True
    assert "form" not in response.context
    assert "Choose among the standards below" in response.content.decode()


def test_step_three_asks_every_requirement_of_the_chosen_standards(technician_client, candidate_farm):
    response = technician_client.get(create_url(candidate_farm, "organic", "rainforest_alliance"), **EN)

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


def test_the_technician_records_an_inspection_as_its_inspector(technician_client, candidate_farm):
    data = inspection_form_data(
        "organic", "rainforest_alliance", inspector=technician_client.user, non_compliant=("ORG-08", "RA-22")
    )

    response = technician_client.post(create_url(candidate_farm, "organic", "rainforest_alliance"), data)

    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("inspection_detail", args=[inspection.pk])
    assert (inspection.farm, inspection.inspector) == (candidate_farm, technician_client.user)
    assert inspection.interviewee == "Juana Ríos (esposa del socio)"
    assert set(inspection.standards.values_list("code", flat=True)) == {"organic", "rainforest_alliance"}
    assert inspection.answers.count() == len(active_requirements("organic", "rainforest_alliance"))
    assert sorted(inspection.non_conformities.values_list("requirement__code", "severity")) == [
        ("ORG-08", "major"),
        ("RA-22", "major"),
    ]
    assert inspection.history.get().history_user == technician_client.user


def test_a_non_compliant_answer_without_its_action_and_deadline_shows_errors_and_writes_nothing(
    technician_client, candidate_farm
):
    org_08 = next(r for r in active_requirements("organic") if r.code == "ORG-08")
    data = inspection_form_data("organic", inspector=technician_client.user, non_compliant=("ORG-08",))
    data[f"r{org_08.pk}_action"] = ""
    data[f"r{org_08.pk}_deadline"] = ""
    data[f"r{org_08.pk}_severity"] = ""

    response = technician_client.post(create_url(candidate_farm, "organic"), data, **EN)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[f"r{org_08.pk}_action"] == ["Describe the corrective action."]
    assert errors[f"r{org_08.pk}_deadline"] == ["Give the deadline."]
    assert errors[f"r{org_08.pk}_severity"] == ["Choose the severity."]
    assert "Describe the corrective action." in response.content.decode()
    assert inspection_rows_written() == (0, 0, 0)


def test_an_unanswered_requirement_is_marked_and_nothing_is_written(technician_client, candidate_farm):
    org_03 = next(r for r in active_requirements("organic") if r.code == "ORG-03")
    data = inspection_form_data("organic", inspector=technician_client.user)
    del data[f"r{org_03.pk}_answer"]

    response = technician_client.post(create_url(candidate_farm, "organic"), data)

    assert response.context["form"].errors[f"r{org_03.pk}_answer"] == ["Answer this requirement."]
    assert inspection_rows_written() == (0, 0, 0)


def test_a_non_conformity_described_on_a_compliant_answer_is_refused(technician_client, candidate_farm):
    org_05 = next(r for r in active_requirements("organic") if r.code == "ORG-05")
    data = inspection_form_data("organic", inspector=technician_client.user)
    data[f"r{org_05.pk}_action"] = "Algo"

    response = technician_client.post(create_url(candidate_farm, "organic"), data)

    assert response.context["form"].errors[f"r{org_05.pk}_answer"] == [
        "You described a non-conformity: answer non-compliant, or clear the non-conformity fields."
    ]
    assert inspection_rows_written() == (0, 0, 0)


def test_a_technician_cannot_record_in_someone_elses_name(technician_client, candidate_farm, inspector):
    data = inspection_form_data("organic", inspector=inspector)

    response = technician_client.post(create_url(candidate_farm, "organic"), data)

    assert response.status_code == 200
    assert "inspector" in response.context["form"].errors
    assert inspection_rows_written() == (0, 0, 0)


def test_the_coordinator_records_a_paper_inspection_in_the_inspectors_name(ics_client, candidate_farm, inspector):
    response = ics_client.post(
        create_url(candidate_farm, "organic"), inspection_form_data("organic", inspector=inspector)
    )

    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.inspector == inspector
    assert inspection.history.get().history_user == ics_client.user


def test_a_declared_conflict_is_shown_on_the_inspector_and_nothing_is_written(technician_client, candidate_farm):
    InspectorConflictFactory(inspector=technician_client.user, member=candidate_farm.member, relationship="own")

    response = technician_client.post(
        create_url(candidate_farm, "organic"), inspection_form_data("organic", inspector=technician_client.user), **EN
    )

    assert response.status_code == 200
    (message,) = response.context["form"].errors["inspector"]
    assert "declared a conflict of interest" in message and "(own farm (the inspector is the member))" in message
    assert inspection_rows_written() == (0, 0, 0)


def test_a_second_inspection_the_same_day_is_refused_under_the_date(technician_client, candidate_farm, inspector):
    record(candidate_farm, "organic", inspector=inspector, inspected_on=timezone.localdate() - DAY)

    response = technician_client.post(
        create_url(candidate_farm, "organic"), inspection_form_data("organic", inspector=technician_client.user)
    )

    assert response.status_code == 200
    assert "was already inspected under Orgánico" in response.context["form"].errors["inspected_on"][0]
    assert Inspection.objects.count() == 1


def test_service_errors_without_a_field_show_above_the_form(technician_client, candidate_farm):
    data = inspection_form_data("organic", inspector=technician_client.user, non_compliant=("ORG-08",))
    data["recommendation"] = "approve"

    response = technician_client.post(create_url(candidate_farm, "organic"), data, **EN)

    assert response.context["form"].errors["recommendation"] == [
        "This inspection raises 1 non-conformity: recommend approval with conditions, a sanction or exclusion."
    ]
    assert inspection_rows_written() == (0, 0, 0)


def test_a_farm_without_open_certifications_offers_nothing(technician_client):
    bare = certified_farm(name="Sin certificación")

    response = technician_client.get(create_url(bare), **EN)

    assert response.context["options"] == []
    assert "has no open certification" in response.content.decode()
