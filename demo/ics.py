"""The Internal Control System's records in late 2026: group certificates, a declared conflict of interest,
this year's and last year's internal inspections with their answers and non-conformities, sanctions, and
the C.A.F.E. Practices verifications."""

import datetime
import random
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from certifications.models import (
    OPEN_STATUSES,
    Certification,
    CertificationEvent,
    CertificationStatus,
    Checklist,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Sanction,
    Standard,
)
from certifications.services.certifications import certification_change_status
from cooperative.models import StaffRole
from demo.certifications import build_cafe_verifications, build_group_certificates
from demo.constants import SEED
from demo.context import Demo, money
from members.models import Farm, Member

# The ICS records end a fortnight before the demo date (demo.constants.DEMO_DATE).
ICS_RECORDS_UNTIL = datetime.date(2026, 11, 13)
# This year's internal inspection campaign, and last year's for the farms not yet visited again.
ICS_CAMPAIGN = (datetime.date(2025, 12, 1), ICS_RECORDS_UNTIL)
ICS_LAST_CAMPAIGN = (datetime.date(2025, 8, 18), datetime.date(2025, 11, 14))
ICS_INSPECTED_SHARE = 0.8  # inspected in this campaign
ICS_LATE_SHARE = 0.06  # inspected only in last year's campaign (more than 12 months ago)
NC_SHARE = 0.012  # a non-critical requirement found non-compliant
NOT_APPLICABLE_SHARE = 0.04
CORRECTIVE_ACTIONS = [
    "Actualizar el registro y presentarlo al inspector interno.",
    "Retirar los envases y guardarlos en el almacén de insumos con llave.",
    "Capacitar a la familia en la norma y firmar el acta de capacitación.",
    "Instalar la barrera viva en el lindero con el vecino convencional.",
    "Rotular y separar el producto en el almacén de la vivienda.",
    "Completar el croquis de la parcela con las fuentes de agua y zonas de riesgo.",
]


def build_ics(demo: Demo, users: dict) -> None:
    """The Internal Control System's records, consistent with the rules of certifications.services.inspections
    and certifications.services.sanctions: group certificates, a declared conflict of interest, internal
    inspections (answers to every requirement of the checklists in use, a non-conformity for each
    non-compliant answer, some of them closed), sanctions and C.A.F.E. Practices verifications.

    The volume goes through bulk_create (with history); the sales block's status change goes through
    certification_change_status. Inspections are created only under standards with a checklist in use.
    """
    technician = users[StaffRole.Role.TECHNICIAN]
    coordinator = users[StaffRole.Role.ICS_COORDINATOR]
    manager = users[StaffRole.Role.MANAGER]
    build_group_certificates(demo, coordinator)
    conflicted = _conflict_of_interest(demo, technician)
    specials = _inspections(
        demo, technician=technician, coordinator=coordinator, manager=manager, conflicted=conflicted
    )
    _sanctions(demo, specials, coordinator)
    build_cafe_verifications(demo, coordinator)


def _conflict_of_interest(demo: Demo, technician) -> Member | None:
    """The technician Julio Huamán declares a relative among the Huánuco members: the ICS coordinator
    inspects that member's farms instead."""
    relative = (
        Member.objects.filter(
            region__name="Huánuco",
            last_names__startswith="Huamán",
            farms__certifications__status__in=OPEN_STATUSES,
        )
        .order_by("code")
        .first()
    )
    if relative is None:
        return None
    if not InspectorConflict.objects.filter(inspector=technician, member=relative).exists():
        conflict = InspectorConflict(
            inspector=technician,
            member=relative,
            relationship=InspectorConflict.Relationship.RELATIVE,
            declared_on=datetime.date(2025, 3, 10),
            note="Primo hermano del técnico.",
        )
        conflict.full_clean()
        conflict._history_user = technician
        conflict.save()
        demo.report.count("conflicts of interest")
    return relative


def _inspections(demo: Demo, *, technician, coordinator, manager, conflicted: Member | None) -> dict[str, tuple]:
    """Plan every inspection from the seeded generator, then write those not yet there (natural key: farm
    and date). Returns the farms chosen for sanctions: {name: (certification, requirement, date)}."""
    rng = random.Random(SEED + 4)
    requirements: dict[int, list[Requirement]] = {}
    for requirement in (
        Requirement.objects.filter(checklist__active=True)
        .select_related("checklist")
        .order_by("checklist__standard__name", "position", "code")
    ):
        requirements.setdefault(requirement.checklist.standard_id, []).append(requirement)
    if not Checklist.objects.filter(active=True).exists():
        demo.log("Sin listas de verificación en uso: no se crean inspecciones internas.")
        return {}
    by_farm: dict[int, list[Certification]] = {}
    for certification in (
        Certification.objects.filter(
            status__in=OPEN_STATUSES,
            standard__accepts_new_certifications=True,
            farm__status=Farm.Status.ACTIVE,
            farm__member__status=Member.Status.ACTIVE,
        )
        .select_related("farm__member__region", "standard")
        .order_by("farm__member__code", "farm__name", "standard__name")
    ):
        by_farm.setdefault(certification.farm_id, []).append(certification)
    farms = list(by_farm.values())

    def candidates(code: str, statuses: set[str], regions: set[str]) -> list[Certification]:
        return [
            c
            for certifications in farms
            for c in certifications
            if c.standard.code == code
            and c.status in statuses
            and c.farm.member.region.name in regions
            and c.standard_id in requirements
        ]

    # Chosen among statuses a first run leaves unchanged, so that a second run chooses the same farms.
    held = {CertificationStatus.CERTIFIED, CertificationStatus.SANCTIONED}
    coffee, cocoa = {"Cusco", "Junín"}, {"Huánuco", "San Martín"}
    sales_block = rng.choice(candidates("organic", held, coffee))
    warned, warned_before = rng.sample(candidates("rainforest_alliance", held, cocoa), 2)
    # Critical findings only where the farm is not certified under the standard (they block certification).
    early = {CertificationStatus.CANDIDATE, CertificationStatus.IN_CONVERSION}
    taken = {sales_block.farm_id, warned.farm_id, warned_before.farm_id}
    pool = candidates("organic", early, coffee) + candidates("rainforest_alliance", early, coffee | cocoa)
    rng.shuffle(pool)
    critical: list[Certification] = []
    for certification in pool:
        if certification.farm_id not in taken and len(critical) < 3:
            critical.append(certification)
            taken.add(certification.farm_id)
    # (certification, inspection date, severity, deadline in days, closed on, recommendation)
    forced = {
        sales_block.pk: (sales_block, datetime.date(2026, 6, 9), "major", 60, None, "sanction"),
        warned.pk: (warned, datetime.date(2026, 7, 14), "minor", 45, None, "conditions"),
        warned_before.pk: (
            warned_before,
            datetime.date(2026, 1, 20),
            "minor",
            30,
            datetime.date(2026, 5, 4),
            "conditions",
        ),
        critical[0].pk: (critical[0], datetime.date(2026, 3, 10), "critical", 30, datetime.date(2026, 4, 2), ""),
        critical[1].pk: (critical[1], datetime.date(2026, 5, 12), "critical", 30, None, ""),
        critical[2].pk: (critical[2], datetime.date(2026, 11, 3), "critical", 30, None, ""),
    }
    forced_by_farm = {entry[0].farm_id: entry for entry in forced.values()}
    specials: dict[str, tuple] = {}

    existing = set(Inspection.objects.values_list("farm_id", "inspected_on"))
    verifier_of = {technician.pk: coordinator, coordinator.pk: manager}
    planned: list[tuple[Inspection, list[Standard], list[tuple[Requirement, str, dict | None]]]] = []
    campaign_days = (ICS_CAMPAIGN[1] - ICS_CAMPAIGN[0]).days
    last_campaign_days = (ICS_LAST_CAMPAIGN[1] - ICS_LAST_CAMPAIGN[0]).days
    for certifications in farms:
        farm = certifications[0].farm
        special = forced_by_farm.get(farm.pk)
        draw = rng.random()
        if special is not None:
            inspected_on = special[1]
        elif draw < ICS_INSPECTED_SHARE:
            inspected_on = ICS_CAMPAIGN[0] + datetime.timedelta(days=rng.randint(0, campaign_days))
        elif draw < ICS_INSPECTED_SHARE + ICS_LATE_SHARE:
            inspected_on = ICS_LAST_CAMPAIGN[0] + datetime.timedelta(days=rng.randint(0, last_campaign_days))
        else:
            continue  # not inspected yet
        standards = [c.standard for c in certifications if c.standard_id in requirements]
        if not standards:
            continue
        member = farm.member
        inspector = technician if member.region.name in cocoa and member != conflicted else coordinator
        answers: list[tuple[Requirement, str, dict | None]] = []
        for standard in standards:
            rows = requirements[standard.pk]
            target = None
            if special is not None and special[0].standard_id == standard.pk:
                pool = [r for r in rows if r.critical == (special[2] == "critical")]
                target = rng.choice(pool)
                specials[
                    {sales_block.pk: "sales_block", warned.pk: "warning", warned_before.pk: "past_warning"}.get(
                        special[0].pk, f"critical-{special[0].pk}"
                    )
                ] = (special[0], target, inspected_on)
            for requirement in rows:
                if requirement == target:
                    severity, days, closed_on = special[2], special[3], special[4]
                elif requirement.critical:
                    answers.append((requirement, InspectionAnswer.Answer.COMPLIANT, None))
                    continue
                else:
                    x = rng.random()
                    if x >= NC_SHARE:
                        answer = (
                            InspectionAnswer.Answer.NOT_APPLICABLE
                            if x < NC_SHARE + NOT_APPLICABLE_SHARE
                            else InspectionAnswer.Answer.COMPLIANT
                        )
                        answers.append((requirement, answer, None))
                        continue
                    severity = "major" if rng.random() < 0.25 else "minor"
                    days = 60 if severity == "major" else 90
                    deadline = inspected_on + datetime.timedelta(days=days)
                    closed_on = None
                    if rng.random() < (0.93 if deadline < ICS_RECORDS_UNTIL else 0.3):
                        closed_on = min(
                            inspected_on + datetime.timedelta(days=rng.randint(7, days + 10)), ICS_RECORDS_UNTIL
                        )
                details = {
                    "severity": severity,
                    "deadline": inspected_on + datetime.timedelta(days=days),
                    "corrective_action": rng.choice(CORRECTIVE_ACTIONS),
                    "closed_on": closed_on,
                }
                answers.append((requirement, InspectionAnswer.Answer.NON_COMPLIANT, details))
        raised = [details for _r, _a, details in answers if details]
        if special is not None and special[5]:
            recommendation = special[5]
        elif raised:
            recommendation = Inspection.Recommendation.APPROVE_WITH_CONDITIONS
        else:
            recommendation = Inspection.Recommendation.APPROVE
        yield_factor = Decimal(str(rng.uniform(0.85, 1.1)))
        if (farm.pk, inspected_on) in existing:
            continue  # drawn all the same, so that the next farms draw as in the first run
        production = farm.estimated_production_kg or Decimal(0)
        inspection = Inspection(
            farm=farm,
            inspector=inspector,
            inspected_on=inspected_on,
            interviewee=member.full_name,
            estimated_yield_kg=money(production * yield_factor),
            inputs_used="Compost de pulpa, guano de isla" if farm.crop == "coffee" else "Compost, caldo bordelés",
            recommendation=recommendation,
            recommendation_note="Levantar las no conformidades en el plazo acordado." if raised else "",
        )
        inspection._history_user = inspector
        planned.append((inspection, standards, answers))

    if not planned:
        return specials
    inspections = bulk_create_with_history([row[0] for row in planned], Inspection, batch_size=500)
    Through = Inspection.standards.through
    Through.objects.bulk_create(
        [
            Through(inspection_id=inspection.pk, standard_id=standard.pk)
            for inspection, (_i, standards, _a) in zip(inspections, planned, strict=True)
            for standard in standards
        ],
        batch_size=2000,
    )
    answer_rows, nc_plan = [], []
    for inspection, (_i, _s, answers) in zip(inspections, planned, strict=True):
        for requirement, answer, details in answers:
            row = InspectionAnswer(inspection=inspection, requirement=requirement, answer=answer)
            row._history_user = inspection.inspector
            answer_rows.append(row)
            if details:
                nc_plan.append((row, details))
    bulk_create_with_history(answer_rows, InspectionAnswer, batch_size=2000)
    non_conformities = []
    for row, details in nc_plan:
        inspection, requirement = row.inspection, row.requirement
        closed_on = details["closed_on"]
        nc = NonConformity(
            answer=row,
            inspection=inspection,
            farm=inspection.farm,
            standard=demo.standard_by_pk(requirement.checklist.standard_id),
            requirement=requirement,
            severity=details["severity"],
            description="Observado durante la inspección interna.",
            corrective_action=details["corrective_action"],
            deadline=details["deadline"],
            closed_on=closed_on,
            verified_by=verifier_of[inspection.inspector.pk] if closed_on else None,
            closing_note="Corrección verificada en la visita de seguimiento." if closed_on else "",
        )
        nc._history_user = inspection.inspector
        non_conformities.append(nc)
    bulk_create_with_history(non_conformities, NonConformity, batch_size=2000)
    demo.report.count("inspections", len(inspections))
    demo.report.count("inspection answers", len(answer_rows))
    demo.report.count("non-conformities", len(non_conformities))
    return specials


def _sanctions(demo: Demo, specials: dict[str, tuple], decided_by) -> None:
    """A sales block on a certified organic farm whose major non-conformity is overdue (the certification
    becomes sanctioned), a warning in force and a past one on Rainforest Alliance cocoa farms."""
    plan = [
        ("sales_block", Sanction.Kind.SALES_BLOCK, datetime.date(2026, 10, 20), None),
        ("warning", Sanction.Kind.WARNING, datetime.date(2026, 9, 15), datetime.date(2027, 3, 15)),
        ("past_warning", Sanction.Kind.WARNING, datetime.date(2026, 2, 24), datetime.date(2026, 5, 24)),
    ]
    for name, kind, starts_on, ends_on in plan:
        if name not in specials:
            continue
        certification, requirement, inspected_on = specials[name]
        if Sanction.objects.filter(certification=certification, kind=kind, starts_on=starts_on).exists():
            continue
        non_conformity = NonConformity.objects.get(
            farm_id=certification.farm_id, requirement=requirement, inspection__inspected_on=inspected_on
        )
        reason = (
            f"No conformidad {requirement.code} sin corregir en el plazo acordado ({non_conformity.deadline:%d/%m/%Y})."
        )
        event = None
        if kind == Sanction.Kind.SALES_BLOCK:
            certification = certification_change_status(
                certification=certification,
                to_status=CertificationStatus.SANCTIONED,
                occurred_on=starts_on,
                reason=reason,
                decided_by=decided_by,
            )
            event = CertificationEvent.objects.filter(certification=certification).latest("id")
        sanction = Sanction(
            certification=certification,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            non_conformity=non_conformity,
            decided_by=decided_by,
            event=event,
        )
        sanction.full_clean()
        sanction._history_user = decided_by
        sanction.save()
        demo.report.count("sanctions")
