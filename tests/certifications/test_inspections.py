"""Internal inspections (certifications.inspections and inspection_selectors): recording an inspection against
the checklists in use, every refusal (with its message, writing nothing), the conflict of interest, the
non-conformities raised and closed, and the selectors other pages build on.

The seeded checklists (migration 0005) are the ones answered: a helper answers every requirement.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from certifications.inspection_selectors import open_critical_non_conformities, with_last_inspection
from certifications.inspections import conflict_declare, inspection_record, non_conformity_close
from certifications.models import (
    Certification,
    Checklist,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Standard,
)
from cooperative.services import staff_role_grant
from members.models import Farm, Member
from tests.factories import (
    CertificationFactory,
    FarmFactory,
    InspectorConflictFactory,
    MemberFactory,
    UserFactory,
    region,
    standard,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# -- helpers (also used by the page tests) ----------------------------------------------------------------------


def make_inspector(username: str = "inspectora", role: str = "technician", regions: tuple[str, ...] = ("Huánuco",)):
    user = UserFactory(username=username, first_name=username.capitalize(), last_name="Quispe")
    staff_role_grant(user=user, role=role, regions=[region(name) for name in regions])
    return user


def certified_farm(*codes: str, region_name: str = "Huánuco", crop: str = "coffee", **farm_values) -> Farm:
    """A farm with an open (candidate) certification under each standard code."""
    farm = FarmFactory(member=MemberFactory(region=region(region_name)), crop=crop, **farm_values)
    for code in codes:
        CertificationFactory(farm=farm, standard=standard(code))
    return farm


def active_requirements(*codes: str) -> list[Requirement]:
    return list(
        Requirement.objects.filter(checklist__active=True, checklist__standard__code__in=codes).order_by(
            "checklist__standard__name", "position"
        )
    )


def requirement(code: str) -> Requirement:
    return Requirement.objects.get(checklist__active=True, code=code)


def answers_for(*codes: str, non_compliant: tuple[str, ...] = (), not_applicable: tuple[str, ...] = ()) -> dict:
    """An answer to every requirement of the standards' checklists in use: compliant unless named."""
    answers = {}
    for req in active_requirements(*codes):
        if req.code in non_compliant:
            answers[req.pk] = ("non_compliant", f"Observado en campo: {req.code}")
        elif req.code in not_applicable:
            answers[req.pk] = ("not_applicable", "")
        else:
            answers[req.pk] = ("compliant", "")
    return answers


def nc_details(*requirement_codes: str, deadline: datetime.date | None = None, **overrides) -> dict:
    deadline = deadline or timezone.localdate() + 60 * DAY
    details = {}
    for code in requirement_codes:
        req = requirement(code)
        values = {
            "severity": "critical" if req.critical else "minor",
            "description": "Sacos de urea en el almacén",
            "corrective_action": "Retirar los insumos y capacitar al productor",
            "deadline": deadline,
        }
        values.update(overrides)
        details[req.pk] = values
    return details


def record(farm: Farm, *codes: str, inspector, non_compliant: tuple[str, ...] = (), **overrides) -> Inspection:
    """Record an inspection of the farm under the standards, every answer compliant unless named."""
    values = {
        "farm": farm,
        "standards": [standard(code) for code in codes],
        "inspector": inspector,
        "inspected_on": timezone.localdate() - 2 * DAY,
        "interviewee": "Rosa Huamán (socia)",
        "answers": answers_for(*codes, non_compliant=non_compliant),
        "recommendation": "conditions" if non_compliant else "approve",
        "recorded_by": inspector,
        "estimated_yield_kg": Decimal("1380.00"),
        "inputs_used": "Compost 2 t, caldo bordelés",
        "non_conformities": nc_details(*non_compliant) if non_compliant else {},
    }
    values.update(overrides)
    return inspection_record(**values)


def rows_written() -> tuple[int, int, int]:
    return Inspection.objects.count(), InspectionAnswer.objects.count(), NonConformity.objects.count()


@pytest.fixture
def inspector():
    return make_inspector()


@pytest.fixture
def farm():
    return certified_farm("organic", "rainforest_alliance")


# -- recording ------------------------------------------------------------------------------------------------


def test_it_records_an_inspection_with_an_answer_per_requirement(farm, inspector, today):
    inspection = record(farm, "organic", inspector=inspector, inspected_on=today)

    inspection.refresh_from_db()
    assert (inspection.farm, inspection.inspector, inspection.inspected_on) == (farm, inspector, today)
    assert inspection.interviewee == "Rosa Huamán (socia)"
    assert inspection.estimated_yield_kg == Decimal("1380.00")
    assert inspection.recommendation == "approve"
    assert list(inspection.standards.all()) == [standard("organic")]
    answered = set(inspection.answers.values_list("requirement__code", "answer"))
    assert answered == {(req.code, "compliant") for req in active_requirements("organic")}
    assert not NonConformity.objects.exists()
    assert inspection.history.get().history_user == inspector
    assert InspectionAnswer.history.count() == len(answered)


def test_each_non_compliant_answer_raises_a_non_conformity_under_its_requirements_standard(farm, inspector, today):
    inspection = record(
        farm,
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
        assert (nc.inspection, nc.farm, nc.answer.requirement) == (inspection, farm, nc.requirement)
        assert nc.answer.answer == "non_compliant"
        assert nc.corrective_action == "Retirar los insumos y capacitar al productor"
        assert nc.closed_on is None
    assert inspection.answers.count() == len(active_requirements("organic", "rainforest_alliance"))


def test_a_critical_requirements_non_conformity_defaults_to_critical(farm, inspector):
    details = nc_details("ORG-11")
    details[requirement("ORG-11").pk]["severity"] = ""

    record(farm, "organic", inspector=inspector, non_compliant=("ORG-11",), non_conformities=details)

    assert NonConformity.objects.get().severity == "critical"


def test_a_candidate_farm_can_be_inspected(farm, inspector):
    assert set(Certification.objects.filter(farm=farm).values_list("status", flat=True)) == {"candidate"}

    record(farm, "organic", inspector=inspector)

    assert Inspection.objects.count() == 1


def test_the_same_farm_can_be_inspected_under_another_standard_the_same_day(farm, inspector, today):
    record(farm, "organic", inspector=inspector, inspected_on=today)
    record(farm, "rainforest_alliance", inspector=make_inspector("otro"), inspected_on=today)

    assert Inspection.objects.filter(farm=farm, inspected_on=today).count() == 2


# -- refusals -------------------------------------------------------------------------------------------------


def test_it_refuses_an_inspector_with_a_declared_conflict_naming_the_relationship(farm, inspector):
    InspectorConflictFactory(inspector=inspector, member=farm.member, relationship="relative")

    (message,) = refused_inspector(farm, inspector)

    assert "declared a conflict of interest with" in message
    assert str(farm.member) in message
    assert "(relative)" in message
    assert "another person must do it" in message


def refused_inspector(farm, inspector):
    before = rows_written()
    with pytest.raises(ValidationError) as error:
        record(farm, "organic", inspector=inspector)
    assert rows_written() == before
    return error.value.message_dict["inspector"]


def test_a_conflict_with_another_member_does_not_stop_the_inspection(farm, inspector):
    InspectorConflictFactory(inspector=inspector, member=MemberFactory(), relationship="own")

    record(farm, "organic", inspector=inspector)

    assert Inspection.objects.count() == 1


def test_it_refuses_an_inspector_who_does_not_cover_the_farms_region(farm):
    cusco_inspector = make_inspector("cusqueno", regions=("Cusco",))

    (message,) = refused_inspector(farm, cusco_inspector)

    assert message == "Cusqueno Quispe is not an internal inspector for Huánuco."


def test_a_credit_officer_is_not_an_inspector(farm):
    officer = make_inspector("credito2", role="credit_officer")

    (message,) = refused_inspector(farm, officer)

    assert "is not an internal inspector" in message


def _refuse(field: str, farm: Farm, *codes: str, **overrides) -> list[str]:
    before = rows_written()
    with pytest.raises(ValidationError) as error:
        record(farm, *codes, **overrides)
    assert rows_written() == before
    return error.value.message_dict[field]


def test_it_refuses_a_date_in_the_future(farm, inspector, today):
    messages = _refuse("inspected_on", farm, "organic", inspector=inspector, inspected_on=today + DAY)

    assert messages == ["The date cannot be in the future."]


def test_it_refuses_a_retired_farm(inspector):
    farm = certified_farm("organic", status=Farm.Status.RETIRED, name="Vieja")

    messages = _refuse("farm", farm, "organic", inspector=inspector)

    assert messages == [f"The farm {farm} is retired."]


def test_it_refuses_the_farm_of_a_withdrawn_member(farm, inspector):
    Member.objects.filter(pk=farm.member.pk).update(status="withdrawn", withdrawn_on=datetime.date(2026, 3, 2))

    (message,) = _refuse("farm", farm, "organic", inspector=inspector)

    assert message.startswith(f"{farm.member} withdrew from the cooperative on ")


def test_it_refuses_a_standard_the_farm_has_no_open_certification_under(farm, inspector):
    Certification.objects.filter(farm=farm, standard__code="organic").update(status="withdrawn")

    (message,) = _refuse("standards", farm, "organic", inspector=inspector, answers={})

    assert message == (
        f"The farm {farm} has no open Orgánico certification. Open one (a candidate is enough) before inspecting "
        "the farm under Orgánico."
    )


def test_it_refuses_utz_which_is_read_only_history(inspector):
    farm = certified_farm("organic")
    CertificationFactory(farm=farm, standard=standard("utz"), status="expired")

    messages = _refuse("standards", farm, "utz", inspector=inspector, answers={})

    assert messages == ["UTZ Certified records are read-only history: no new inspection is recorded under it."]


def test_it_refuses_a_standard_without_a_checklist_in_use(farm, inspector):
    answers = answers_for("rainforest_alliance")
    Checklist.objects.filter(standard__code="rainforest_alliance").update(active=False)

    messages = _refuse("standards", farm, "rainforest_alliance", inspector=inspector, answers=answers)

    assert messages == ["Rainforest Alliance has no checklist in use."]


def test_it_refuses_an_inspection_without_standards(farm, inspector):
    messages = _refuse("standards", farm, inspector=inspector, answers={})

    assert messages == ["Choose at least one standard to inspect the farm under."]


def test_it_refuses_a_missing_answer(farm, inspector):
    answers = answers_for("organic")
    del answers[requirement("ORG-03").pk]
    del answers[requirement("ORG-19").pk]

    messages = _refuse("answers", farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["Answer every requirement. Missing: ORG-03, ORG-19."]


def test_it_refuses_an_answer_to_a_requirement_of_a_standard_not_inspected(farm, inspector):
    answers = answers_for("organic") | {requirement("RA-10").pk: ("compliant", "")}

    messages = _refuse("answers", farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["These requirements are not in the checklists in use for the standards inspected: RA-10."]


def test_it_refuses_an_answer_that_is_not_one_of_the_three(farm, inspector):
    answers = answers_for("organic") | {requirement("ORG-02").pk: ("maybe", "")}

    messages = _refuse("answers", farm, "organic", inspector=inspector, answers=answers)

    assert messages == ["Answer ORG-02 with compliant, non-compliant or not applicable."]


def test_it_refuses_a_non_compliant_answer_without_its_non_conformity(farm, inspector):
    messages = _refuse(
        "non_conformities",
        farm,
        "organic",
        inspector=inspector,
        answers=answers_for("organic", non_compliant=("ORG-08",)),
        recommendation="conditions",
    )

    assert messages == ["Give the corrective action and the deadline of each non-compliant requirement: ORG-08."]


def test_it_refuses_non_conformity_details_for_an_answer_that_is_not_non_compliant(farm, inspector):
    messages = _refuse("non_conformities", farm, "organic", inspector=inspector, non_conformities=nc_details("ORG-08"))

    assert messages == [
        "A non-conformity is recorded only for a non-compliant answer; ORG-08 is not answered non-compliant."
    ]


def test_it_refuses_to_lower_the_severity_of_a_critical_requirement(farm, inspector):
    messages = _refuse(
        "non_conformities",
        farm,
        "organic",
        inspector=inspector,
        non_compliant=("ORG-07",),
        non_conformities=nc_details("ORG-07", severity="major"),
    )

    assert messages == ["ORG-07 is a critical requirement: its non-conformity is critical."]


def test_it_refuses_a_non_conformity_without_severity_action_or_deadline(farm, inspector):
    details = nc_details("ORG-08")
    details[requirement("ORG-08").pk].update(severity="", corrective_action="  ", deadline=None)

    messages = _refuse(
        "non_conformities", farm, "organic", inspector=inspector, non_compliant=("ORG-08",), non_conformities=details
    )

    assert messages == [
        "Choose the severity of the non-conformity on ORG-08.",
        "Describe the corrective action for ORG-08.",
        "Give the deadline for ORG-08.",
    ]


def test_it_refuses_a_deadline_before_the_inspection(farm, inspector, today):
    messages = _refuse(
        "non_conformities",
        farm,
        "organic",
        inspector=inspector,
        inspected_on=today,
        non_compliant=("ORG-08",),
        non_conformities=nc_details("ORG-08", deadline=today - DAY),
    )

    assert messages == ["The deadline for ORG-08 cannot be before the inspection date."]


def test_a_deadline_on_the_inspection_day_is_accepted(farm, inspector, today):
    record(
        farm,
        "organic",
        inspector=inspector,
        inspected_on=today,
        non_compliant=("ORG-08",),
        non_conformities=nc_details("ORG-08", deadline=today),
    )

    assert NonConformity.objects.get().deadline == today


def test_it_refuses_plain_approval_when_the_inspection_raises_non_conformities(farm, inspector):
    messages = _refuse(
        "recommendation", farm, "organic", inspector=inspector, non_compliant=("ORG-08",), recommendation="approve"
    )

    assert messages == [
        "This inspection raises 1 non-conformity: recommend approval with conditions, a sanction or exclusion."
    ]


def test_it_refuses_a_second_inspection_of_the_farm_under_the_same_standard_the_same_day(farm, inspector, today):
    record(farm, "organic", inspector=inspector, inspected_on=today)

    messages = _refuse(
        "inspected_on", farm, "organic", "rainforest_alliance", inspector=make_inspector("otra"), inspected_on=today
    )

    assert messages == [f"The farm {farm} was already inspected under Orgánico on {today:%m/%d/%Y}."]


def test_it_refuses_an_empty_interviewee_and_an_unknown_recommendation(farm, inspector):
    before = rows_written()
    with pytest.raises(ValidationError) as error:
        record(farm, "organic", inspector=inspector, interviewee="  ", recommendation="promote")

    assert error.value.message_dict["interviewee"] == ["Give the name of the person interviewed."]
    assert error.value.message_dict["recommendation"] == ["Choose the recommendation to the approval committee."]
    assert rows_written() == before


# -- conflicts of interest ------------------------------------------------------------------------------------


def test_it_declares_a_conflict_of_interest(inspector, today):
    member = MemberFactory()
    manager = UserFactory(username="coordinadora")

    conflict = conflict_declare(
        inspector=inspector,
        member=member,
        relationship="own",
        declared_on=today,
        note=" Es su propia parcela ",
        declared_by=manager,
    )

    conflict.refresh_from_db()
    assert (conflict.inspector, conflict.member, conflict.relationship) == (inspector, member, "own")
    assert (conflict.declared_on, conflict.note) == (today, "Es su propia parcela")
    assert conflict.history.get().history_user == manager


def test_it_refuses_a_conflict_declared_twice(inspector, today):
    member = MemberFactory()
    InspectorConflictFactory(inspector=inspector, member=member, relationship="relative", declared_on=today)

    with pytest.raises(ValidationError) as error:
        conflict_declare(inspector=inspector, member=member, relationship="other", declared_on=today)

    (message,) = error.value.message_dict["member"]
    assert message.startswith(f"Inspectora Quispe already declared a conflict of interest with {member} (relative)")
    assert InspectorConflict.objects.count() == 1


def test_it_refuses_a_future_declaration_and_an_unknown_relationship(inspector, today):
    with pytest.raises(ValidationError) as error:
        conflict_declare(inspector=inspector, member=MemberFactory(), relationship="friend", declared_on=today + DAY)

    assert error.value.message_dict == {
        "relationship": ["Choose the relationship between the inspector and the member."],
        "declared_on": ["The date cannot be in the future."],
    }
    assert not InspectorConflict.objects.exists()


# -- closing non-conformities ---------------------------------------------------------------------------------


@pytest.fixture
def open_nc(farm, inspector, today) -> NonConformity:
    record(farm, "organic", inspector=inspector, inspected_on=today - 10 * DAY, non_compliant=("ORG-08",))
    return NonConformity.objects.get()


@pytest.fixture
def verifier():
    return make_inspector("coordinadora", role="ics_coordinator")


def test_it_closes_a_non_conformity_verified_by_someone_else(open_nc, verifier, today):
    closed = non_conformity_close(
        non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note=" Sin urea en el almacén "
    )

    open_nc.refresh_from_db()
    assert (open_nc.closed_on, open_nc.verified_by, open_nc.closing_note) == (today, verifier, "Sin urea en el almacén")
    assert closed.pk == open_nc.pk and not closed.is_open
    assert open_nc.history.first().history_user == verifier


def test_closing_twice_is_refused_even_from_a_stale_copy(open_nc, verifier, today):
    stale = NonConformity.objects.get(pk=open_nc.pk)
    non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note="Verificado")
    other = make_inspector("gerente2", role="manager")

    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=stale, closed_on=today, verified_by=other, closing_note="Otra vez")

    assert error.value.messages == [
        f"This non-conformity was already closed on {today:%m/%d/%Y} by Coordinadora Quispe."
    ]
    open_nc.refresh_from_db()
    assert (open_nc.verified_by, open_nc.closing_note) == (verifier, "Verificado")


def test_the_inspector_who_raised_it_cannot_verify_it(open_nc, inspector, today):
    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=inspector, closing_note="Listo")

    assert error.value.message_dict["verified_by"] == [
        "Inspectora Quispe raised this non-conformity: another person must verify its correction."
    ]
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_a_verifier_with_a_conflict_of_interest_cannot_verify_it(open_nc, verifier, today):
    InspectorConflictFactory(inspector=verifier, member=open_nc.farm.member, relationship="relative")

    with pytest.raises(ValidationError) as error:
        non_conformity_close(non_conformity=open_nc, closed_on=today, verified_by=verifier, closing_note="Listo")

    (message,) = error.value.message_dict["verified_by"]
    assert "(relative)" in message and "may not verify this correction" in message
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_it_refuses_a_closing_date_before_the_inspection_or_in_the_future_and_an_empty_note(open_nc, verifier, today):
    for closed_on, field, expected in [
        (today - 11 * DAY, "closed_on", "cannot be closed before that"),
        (today + DAY, "closed_on", "The date cannot be in the future."),
    ]:
        with pytest.raises(ValidationError) as error:
            non_conformity_close(non_conformity=open_nc, closed_on=closed_on, verified_by=verifier, closing_note=" ")
        assert expected in error.value.message_dict[field][0]
        assert error.value.message_dict["closing_note"] == ["Describe how the correction was verified."]
    open_nc.refresh_from_db()
    assert open_nc.is_open


def test_it_closes_on_the_inspection_day(open_nc, verifier):
    non_conformity_close(
        non_conformity=open_nc, closed_on=open_nc.inspection.inspected_on, verified_by=verifier, closing_note="Ok"
    )

    open_nc.refresh_from_db()
    assert open_nc.closed_on == open_nc.inspection.inspected_on


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_closing_at_once_close_it_once(on_postgres, reference_data):
    """Real row locks: the second close waits for the first, then sees it closed."""
    import threading

    from django.db import connection

    seed_checklists()
    farm = certified_farm("organic")
    raised_by = make_inspector("raiser")
    record(farm, "organic", inspector=raised_by, non_compliant=("ORG-08",))
    nc = NonConformity.objects.get()
    people = [make_inspector("uno", role="ics_coordinator"), make_inspector("dos", role="ics_coordinator")]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def close(person):
        try:
            barrier.wait()
            with translation.override("en"):  # a new thread starts in the default language
                non_conformity_close(
                    non_conformity=nc, closed_on=timezone.localdate(), verified_by=person, closing_note="Verificado"
                )
            outcomes.append("closed")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2
    assert outcomes.count("closed") == 1
    (refusal,) = [outcome for outcome in outcomes if outcome != "closed"]
    assert refusal.startswith("This non-conformity was already closed on ")
    assert NonConformity.history.filter(closed_on__isnull=False).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_inspectors_recording_the_same_farm_and_day_at_once_record_it_once(on_postgres, reference_data):
    """Real row locks: the farm row serialises the two inspections; the second sees the first."""
    import threading

    from django.db import connection

    seed_checklists()
    farm = certified_farm("organic")
    inspectors = [make_inspector("uno"), make_inspector("dos")]
    answers = answers_for("organic")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def inspect(person):
        try:
            barrier.wait()
            with translation.override("en"):  # a new thread starts in the default language
                record(farm, "organic", inspector=person, inspected_on=timezone.localdate(), answers=answers)
            outcomes.append("recorded")
        except ValidationError as error:
            outcomes.append(error.message_dict["inspected_on"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=inspect, args=(person,)) for person in inspectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2
    assert outcomes.count("recorded") == 1
    (refusal,) = [outcome for outcome in outcomes if outcome != "recorded"]
    assert refusal.startswith(f"The farm {farm} was already inspected under Orgánico on ")
    assert Inspection.objects.count() == 1


def seed_checklists() -> None:
    """Seed the checklists again after a flush (transactional tests empty the seeded tables)."""
    import importlib

    from django.apps import apps

    importlib.import_module("certifications.migrations.0005_seed_checklists").seed(apps, None)


# -- selectors ------------------------------------------------------------------------------------------------


def test_open_critical_non_conformities_lists_only_the_open_critical_ones_of_the_farm_and_standard(
    farm, inspector, today
):
    record(
        farm,
        "organic",
        "rainforest_alliance",
        inspector=inspector,
        non_compliant=("ORG-07", "ORG-08", "ORG-11", "RA-10"),
        recommendation="sanction",
    )
    other_farm = certified_farm("organic")
    record(other_farm, "organic", inspector=inspector, non_compliant=("ORG-14",), recommendation="exclude")
    verifier = make_inspector("coordinadora", role="ics_coordinator")
    org_11 = NonConformity.objects.get(farm=farm, requirement__code="ORG-11")
    non_conformity_close(non_conformity=org_11, closed_on=today, verified_by=verifier, closing_note="Verificado")

    found = open_critical_non_conformities(farm=farm, standard=standard("organic"))

    assert [nc.requirement.code for nc in found] == ["ORG-07"]
    assert not open_critical_non_conformities(farm=farm, standard=standard("cafe_practices")).exists()


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


def test_the_standards_of_an_inspection_are_those_covered(farm, inspector):
    inspection = record(farm, "organic", "rainforest_alliance", inspector=inspector)

    assert set(inspection.standards.values_list("code", flat=True)) == {"organic", "rainforest_alliance"}
    assert Standard.objects.filter(inspections=inspection).count() == 2
