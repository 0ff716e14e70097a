"""Recording an internal inspection (certifications.services.inspections) against the checklists in use, and
every refusal, with its message, writing nothing (the inspector's conflict of interest and region among
them). Declaring conflicts: test_inspection_conflicts.py; closing non-conformities:
test_non_conformity_closing.py; the selectors other pages build on: test_inspection_selectors.py.

The seeded checklists (migration 0005) are the ones answered: `record` (tests/certifications/conftest.py)
answers every requirement.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from certifications.models import Certification, Checklist, Inspection, InspectionAnswer, NonConformity, Standard
from members.models import Farm, Member
from tests.certifications.conftest import (
    active_requirements,
    answers_for,
    certified_farm,
    inspection_rows_written,
    make_inspector,
    nc_details,
    record,
    requirement,
)
from tests.conftest import run_together
from tests.factories import CertificationFactory, InspectorConflictFactory, MemberFactory, standard

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# -- recording ------------------------------------------------------------------------------------------------


def test_it_records_an_inspection_with_an_answer_per_requirement(candidate_farm, inspector, today):
    inspection = record(candidate_farm, "organic", inspector=inspector, inspected_on=today)

    inspection.refresh_from_db()
    assert (inspection.farm, inspection.inspector, inspection.inspected_on) == (candidate_farm, inspector, today)
    assert inspection.interviewee == "Rosa Huamán (socia)"
    assert inspection.estimated_yield_kg == Decimal("1380.00")
    assert inspection.recommendation == "approve"
    assert list(inspection.standards.all()) == [standard("organic")]
    answered = set(inspection.answers.values_list("requirement__code", "answer"))
    assert answered == {(req.code, "compliant") for req in active_requirements("organic")}
    assert not NonConformity.objects.exists()
    assert inspection.history.get().history_user == inspector
    assert InspectionAnswer.history.count() == len(answered)


def test_each_non_compliant_answer_raises_a_non_conformity_under_its_requirements_standard(
    candidate_farm, inspector, today
):
    inspection = record(
        candidate_farm,
        "organic",
        "rainforest_alliance",
        inspector=inspector,
        non_compliant=("ORG-07", "ORG-10", "RA-22"),
        recommendation="sanction",
    )

    ncs = {nc.requirement.code: nc for nc in NonConformity.objects.select_related("requirement", "standard")}
    assert set(ncs) == {"ORG-07", "ORG-10", "RA-22"}
    assert ncs["ORG-07"].standard == standard("organic")
    assert ncs["RA-22"].standard == standard("rainforest_alliance")
    assert (ncs["ORG-07"].severity, ncs["ORG-10"].severity) == ("critical", "minor")
    for nc in ncs.values():
        assert (nc.inspection, nc.farm, nc.answer.requirement) == (inspection, candidate_farm, nc.requirement)
        assert nc.answer.answer == "non_compliant"
        assert nc.corrective_action == "Retirar los insumos y capacitar al productor"
        assert nc.closed_on is None
    assert inspection.answers.count() == len(active_requirements("organic", "rainforest_alliance"))


def test_a_critical_requirements_non_conformity_defaults_to_critical(candidate_farm, inspector):
    details = nc_details("ORG-11")
    details[requirement("ORG-11").pk]["severity"] = ""

    record(candidate_farm, "organic", inspector=inspector, non_compliant=("ORG-11",), non_conformities=details)

    assert NonConformity.objects.get().severity == "critical"


def test_a_candidate_farm_can_be_inspected(candidate_farm, inspector):
    assert set(Certification.objects.filter(farm=candidate_farm).values_list("status", flat=True)) == {"candidate"}

    record(candidate_farm, "organic", inspector=inspector)

    assert Inspection.objects.count() == 1


def test_the_same_farm_can_be_inspected_under_another_standard_the_same_day(candidate_farm, inspector, today):
    record(candidate_farm, "organic", inspector=inspector, inspected_on=today)
    record(candidate_farm, "rainforest_alliance", inspector=make_inspector("otro"), inspected_on=today)

    assert Inspection.objects.filter(farm=candidate_farm, inspected_on=today).count() == 2


def test_the_standards_of_an_inspection_are_those_covered(candidate_farm, inspector):
    inspection = record(candidate_farm, "organic", "rainforest_alliance", inspector=inspector)

    assert set(inspection.standards.values_list("code", flat=True)) == {"organic", "rainforest_alliance"}
    assert Standard.objects.filter(inspections=inspection).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_inspectors_recording_the_same_farm_and_day_at_once_record_it_once(on_postgres, reference_data):
    """Real row locks: the farm row serialises the two inspections; the second sees the first."""
    farm = certified_farm("organic")
    inspectors = [make_inspector("uno"), make_inspector("dos")]
    answers = answers_for("organic")

    def inspect(person):
        return lambda: record(farm, "organic", inspector=person, inspected_on=timezone.localdate(), answers=answers)

    recorded, errors = run_together(*(inspect(person) for person in inspectors))

    assert (len(recorded), len(errors)) == (1, 1)
    assert (
        errors[0]
        .message_dict["inspected_on"][0]
        .startswith(f"The farm {farm} was already inspected under Orgánico on ")
    )
    assert Inspection.objects.count() == 1


# -- refusals -------------------------------------------------------------------------------------------------


def test_it_refuses_an_inspector_with_a_declared_conflict_naming_the_relationship(candidate_farm, inspector):
    InspectorConflictFactory(inspector=inspector, member=candidate_farm.member, relationship="relative")

    (message,) = refused_inspector(candidate_farm, inspector)

    assert "declared a conflict of interest with" in message
    assert str(candidate_farm.member) in message
    assert "(relative)" in message
    assert "another person must do it" in message


def refused_inspector(farm, inspector):
    before = inspection_rows_written()
    with pytest.raises(ValidationError) as error:
        record(farm, "organic", inspector=inspector)
    assert inspection_rows_written() == before
    return error.value.message_dict["inspector"]


def test_a_conflict_with_another_member_does_not_stop_the_inspection(candidate_farm, inspector):
    InspectorConflictFactory(inspector=inspector, member=MemberFactory(), relationship="own")

    record(candidate_farm, "organic", inspector=inspector)

    assert Inspection.objects.count() == 1


def test_it_refuses_an_inspector_who_does_not_cover_the_farms_region(candidate_farm):
    cusco_inspector = make_inspector("cusqueno", regions=("Cusco",))

    (message,) = refused_inspector(candidate_farm, cusco_inspector)

    assert message == "Cusqueno Quispe is not an internal inspector for Huánuco."


def test_a_credit_officer_is_not_an_inspector(candidate_farm):
    officer = make_inspector("credito2", role="credit_officer")

    (message,) = refused_inspector(candidate_farm, officer)

    assert "is not an internal inspector" in message


def _refuse(field: str, farm: Farm, *codes: str, **overrides) -> list[str]:
    before = inspection_rows_written()
    with pytest.raises(ValidationError) as error:
        record(farm, *codes, **overrides)
    assert inspection_rows_written() == before
    return error.value.message_dict[field]


def test_it_refuses_a_date_in_the_future(candidate_farm, inspector, today):
    messages = _refuse("inspected_on", candidate_farm, "organic", inspector=inspector, inspected_on=today + DAY)

    assert messages == ["The date cannot be in the future."]


def test_it_refuses_a_retired_farm(inspector):
    farm = certified_farm("organic", status=Farm.Status.RETIRED, name="Vieja")

    messages = _refuse("farm", farm, "organic", inspector=inspector)

    assert messages == [f"The farm {farm} is retired."]


def test_it_refuses_the_farm_of_a_withdrawn_member(candidate_farm, inspector):
    Member.objects.filter(pk=candidate_farm.member.pk).update(
        status="withdrawn", withdrawn_on=datetime.date(2026, 3, 2)
    )

    (message,) = _refuse("farm", candidate_farm, "organic", inspector=inspector)

    assert message.startswith(f"{candidate_farm.member} withdrew from the cooperative on ")


def test_it_refuses_a_standard_the_farm_has_no_open_certification_under(candidate_farm, inspector):
    Certification.objects.filter(farm=candidate_farm, standard__code="organic").update(status="withdrawn")

    (message,) = _refuse("standards", candidate_farm, "organic", inspector=inspector, answers={})

    assert message == (
        f"The farm {candidate_farm} has no open Orgánico certification. Open one (a candidate is enough) "
        "before inspecting the farm under Orgánico."
    )


def test_it_refuses_utz_which_is_read_only_history(inspector):
    farm = certified_farm("organic")
    CertificationFactory(farm=farm, standard=standard("utz"), status="expired")

    messages = _refuse("standards", farm, "utz", inspector=inspector, answers={})

    assert messages == ["UTZ Certified records are read-only history: no new inspection is recorded under it."]


def test_it_refuses_a_standard_without_a_checklist_in_use(candidate_farm, inspector):
    answers = answers_for("rainforest_alliance")
    Checklist.objects.filter(standard__code="rainforest_alliance").update(active=False)

    messages = _refuse("standards", candidate_farm, "rainforest_alliance", inspector=inspector, answers=answers)

    assert messages == ["Rainforest Alliance has no checklist in use."]


def test_it_refuses_an_inspection_without_standards(candidate_farm, inspector):
    messages = _refuse("standards", candidate_farm, inspector=inspector, answers={})

    assert messages == ["Choose at least one standard to inspect the farm under."]


def test_it_refuses_a_missing_answer(candidate_farm, inspector):
    answers = answers_for("organic")
    del answers[requirement("ORG-03").pk]
    del answers[requirement("ORG-19").pk]

    messages = _refuse("answers", candidate_farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["Answer every requirement. Missing: ORG-03, ORG-19."]


def test_it_refuses_an_answer_to_a_requirement_of_a_standard_not_inspected(candidate_farm, inspector):
    answers = answers_for("organic") | {requirement("RA-10").pk: ("compliant", "")}

    messages = _refuse("answers", candidate_farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["These requirements are not in the checklists in use for the standards inspected: RA-10."]


def test_it_refuses_an_answer_that_is_not_one_of_the_three(candidate_farm, inspector):
    answers = answers_for("organic") | {requirement("ORG-02").pk: ("maybe", "")}

    messages = _refuse("answers", candidate_farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["Answer ORG-02 with compliant, non-compliant or not applicable."]


def test_it_refuses_a_non_compliant_answer_without_its_non_conformity(candidate_farm, inspector):
    messages = _refuse(
        "non_conformities",
        candidate_farm,
        "organic",
        inspector=inspector,
        answers=answers_for("organic", non_compliant=("ORG-08",)),
        recommendation="conditions",
    )

    assert messages == ["Give the corrective action and the deadline of each non-compliant requirement: ORG-08."]


def test_it_refuses_non_conformity_details_for_an_answer_that_is_not_non_compliant(candidate_farm, inspector):
    messages = _refuse(
        "non_conformities", candidate_farm, "organic", inspector=inspector, non_conformities=nc_details("ORG-08")
    )

    assert messages == [
        "A non-conformity is recorded only for a non-compliant answer; ORG-08 is not answered non-compliant."
    ]


def test_it_refuses_to_lower_the_severity_of_a_critical_requirement(candidate_farm, inspector):
    messages = _refuse(
        "non_conformities",
        candidate_farm,
        "organic",
        inspector=inspector,
        non_compliant=("ORG-07",),
        non_conformities=nc_details("ORG-07", severity="major"),
    )

    assert messages == ["ORG-07 is a critical requirement: its non-conformity is critical."]


def test_it_refuses_a_non_conformity_without_severity_action_or_deadline(candidate_farm, inspector):
    details = nc_details("ORG-08")
    details[requirement("ORG-08").pk].update(severity="", corrective_action="  ", deadline=None)

    messages = _refuse(
        "non_conformities",
        candidate_farm,
        "organic",
        inspector=inspector,
        non_compliant=("ORG-08",),
        non_conformities=details,
    )

    assert messages == [
        "Choose the severity of the non-conformity on ORG-08.",
        "Describe the corrective action for ORG-08.",
        "Give the deadline for ORG-08.",
    ]


def test_it_refuses_a_deadline_before_the_inspection(candidate_farm, inspector, today):
    messages = _refuse(
        "non_conformities",
        candidate_farm,
        "organic",
        inspector=inspector,
        inspected_on=today,
        non_compliant=("ORG-08",),
        non_conformities=nc_details("ORG-08", deadline=today - DAY),
    )

    assert messages == ["The deadline for ORG-08 cannot be before the inspection date."]


def test_a_deadline_on_the_inspection_day_is_accepted(candidate_farm, inspector, today):
    record(
        candidate_farm,
        "organic",
        inspector=inspector,
        inspected_on=today,
        non_compliant=("ORG-08",),
        non_conformities=nc_details("ORG-08", deadline=today),
    )

    assert NonConformity.objects.get().deadline == today


def test_it_refuses_plain_approval_when_the_inspection_raises_non_conformities(candidate_farm, inspector):
    messages = _refuse(
        "recommendation",
        candidate_farm,
        "organic",
        inspector=inspector,
        non_compliant=("ORG-08",),
        recommendation="approve",
    )

    assert messages == [
        "This inspection raises 1 non-conformity: recommend approval with conditions, a sanction or exclusion."
    ]


def test_it_refuses_a_second_inspection_of_the_farm_under_the_same_standard_the_same_day(
    candidate_farm, inspector, today
):
    record(candidate_farm, "organic", inspector=inspector, inspected_on=today)

    messages = _refuse(
        "inspected_on",
        candidate_farm,
        "organic",
        "rainforest_alliance",
        inspector=make_inspector("otra"),
        inspected_on=today,
    )

    assert messages == [f"The farm {candidate_farm} was already inspected under Orgánico on {today:%m/%d/%Y}."]


def test_it_refuses_an_empty_interviewee_and_an_unknown_recommendation(candidate_farm, inspector):
    before = inspection_rows_written()
    with pytest.raises(ValidationError) as error:
        record(candidate_farm, "organic", inspector=inspector, interviewee="  ", recommendation="promote")

    assert error.value.message_dict["interviewee"] == ["Give the name of the person interviewed."]
    assert error.value.message_dict["recommendation"] == ["Choose the recommendation to the approval committee."]
    assert inspection_rows_written() == before
