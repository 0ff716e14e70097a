"""The farms' certifications (organic with its conversion stages, Rainforest Alliance, C.A.F.E. Practices,
UTZ history) through the certification services, the group certificates behind them, and the C.A.F.E.
Practices verifications."""

import datetime
import random
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from certifications.models import (
    OPEN_STATUSES,
    CafeVerification,
    Certification,
    CertificationStatus,
    GroupCertificate,
    Standard,
)
from certifications.services.cafe import cafe_tier
from certifications.services.certifications import (
    certification_change_status,
    certification_create,
    certification_import_history,
)
from cooperative.models import ProgramEnrollment, StaffRole
from demo.constants import SEED, TWO_PLACES
from demo.context import Demo
from members.models import Farm

GROUP_CERTIFICATES = [
    # standard, number, certification body, valid from, valid until, crops
    (
        "organic",
        "CU-ORG-812004",
        "Control Union Perú",
        datetime.date(2025, 1, 21),
        datetime.date(2026, 1, 20),
        ["coffee"],
    ),
    (
        "organic",
        "CU-ORG-855123",
        "Control Union Perú",
        datetime.date(2026, 1, 21),
        datetime.date(2027, 1, 20),
        ["coffee"],
    ),
    (
        "rainforest_alliance",
        "RA-C-PE-0731",
        "Control Union Perú",
        datetime.date(2024, 7, 1),
        datetime.date(2027, 6, 30),
        ["coffee", "cocoa"],
    ),
    (
        "cafe_practices",
        "CP-SCS-2025-097",
        "SCS Global Services",
        datetime.date(2025, 4, 1),
        datetime.date(2026, 3, 31),
        ["coffee"],
    ),
    (
        "cafe_practices",
        "CP-SCS-2026-118",
        "SCS Global Services",
        datetime.date(2026, 4, 1),
        datetime.date(2027, 3, 31),
        ["coffee"],
    ),
]


def build_certifications(demo: Demo, users: dict) -> None:
    """Each farm's certifications, drawn farm by farm (by member code and farm name) from one seeded generator
    and taken through the certification services to their outcome; a farm that already has a certification
    under a standard keeps it as it is."""
    ics = users[StaffRole.Role.ICS_COORDINATOR]
    done = set(Certification.objects.values_list("farm_id", "standard_id"))
    farms = list(Farm.objects.select_related("member", "region").order_by("member__code", "name"))
    rng = random.Random(SEED + 1)
    lwr_members = set(
        ProgramEnrollment.objects.filter(program__code="LWR-HUA-2012").values_list("member_id", flat=True)
    )
    for farm in farms:
        draws = [rng.random() for _ in range(4)]
        plan: list[tuple[str, str]] = []
        if farm.crop == "coffee":
            if draws[0] < 0.66:
                plan.append(("organic", "certified"))
            elif draws[0] < 0.72:
                plan.append(("organic", "in_conversion"))
            elif draws[0] < 0.78:
                plan.append(("organic", "candidate"))
            if draws[1] < 0.42:
                plan.append(("rainforest_alliance", "certified"))
            if draws[2] < 0.6:
                plan.append(("cafe_practices", "certified"))
            if draws[3] < 0.3:
                plan.append(("utz", "history"))
        else:
            in_lwr = farm.member_id in lwr_members
            if in_lwr and draws[3] < 0.55:
                plan.append(("utz", "history"))
            if draws[1] < (0.62 if in_lwr else 0.35):
                plan.append(("rainforest_alliance", "certified"))
            elif draws[1] < 0.85:
                plan.append(("rainforest_alliance", "candidate"))
        for code, outcome in plan:
            standard = demo.standards[code]
            if (farm.pk, standard.pk) in done:
                continue
            _certify(farm, standard, outcome, ics)
            demo.report.count("certifications")


def _certify(farm: Farm, standard: Standard, outcome: str, decider) -> None:
    if outcome == "history":
        start = datetime.date(2017, 3, 1) if farm.crop == "coffee" else datetime.date(2014, 5, 1)
        certification_import_history(
            farm=farm,
            standard=standard,
            certificate_number=f"UTZ-{'C' if farm.crop == 'coffee' else 'K'}-{start.year}-0042",
            certifier="Control Union Perú",
            valid_from=start,
            valid_until=start.replace(year=start.year + 1) - datetime.timedelta(days=1),
            recorded_by=decider,
            reason="Certificado UTZ del grupo (histórico)",
        )
        return
    opened = max(farm.member.joined_on, datetime.date(2020, 1, 15))
    certification = certification_create(
        farm=farm,
        standard=standard,
        decided_by=decider,
        occurred_on=opened,
        reason="Inscripción en el registro de productores del SCI",
        certifier="Control Union Perú",
    )
    if outcome == "candidate":
        return
    if standard.requires_conversion:
        for stage, year in (("c1", 2023), ("c2", 2024), ("c3", 2025)):
            if outcome == "in_conversion" and stage == "c3":
                return
            certification = certification_change_status(
                certification=certification,
                to_status=CertificationStatus.IN_CONVERSION,
                conversion_stage=stage,
                occurred_on=datetime.date(year, 1, 20),
                reason="Decisión del comité de aprobación tras la inspección interna",
                decided_by=decider,
            )
    valid_from = {
        "organic": datetime.date(2026, 1, 21),
        "rainforest_alliance": datetime.date(2024, 7, 1),
        "cafe_practices": datetime.date(2026, 4, 1),
    }[standard.code]
    number = {
        "organic": "CU-ORG-855123",
        "rainforest_alliance": "RA-C-PE-0731",
        "cafe_practices": "CP-SCS-2026-118",
    }
    certification_change_status(
        certification=certification,
        to_status=CertificationStatus.CERTIFIED,
        occurred_on=valid_from,
        reason="Auditoría externa aprobada",
        decided_by=decider,
        certificate_number=number[standard.code] + ("-K" if farm.crop == "cocoa" else ""),
        valid_from=valid_from,
    )


def build_group_certificates(demo: Demo, recorded_by) -> None:
    """GROUP_CERTIFICATES, those not yet there (by standard and number)."""
    existing = set(GroupCertificate.objects.values_list("standard__code", "number"))
    for code, number, body, valid_from, valid_until, crops in GROUP_CERTIFICATES:
        if (code, number) in existing:
            continue
        certificate = GroupCertificate(
            standard=demo.standards[code],
            number=number,
            certification_body=body,
            valid_from=valid_from,
            valid_until=valid_until,
            crops=crops,
            notes="Certificado del grupo de productores (SCI de la cooperativa).",
        )
        certificate.full_clean()
        certificate._history_user = recorded_by
        certificate.save()
        demo.report.count("group certificates")


def build_cafe_verifications(demo: Demo, recorded_by) -> None:
    """This year's verification of every C.A.F.E. Practices farm (before its certificate of April 2026),
    and last year's for some, a few of them failing a zero-tolerance indicator."""
    rng = random.Random(SEED + 5)
    existing = set(CafeVerification.objects.values_list("certification_id", "verified_on"))
    certifications = Certification.objects.filter(standard__code="cafe_practices", status__in=OPEN_STATUSES).order_by(
        "farm__member__code", "farm__name"
    )
    rows = []
    for certification in certifications:
        visits = [(datetime.date(2026, 2, 2) + datetime.timedelta(days=rng.randint(0, 38)), rng.random(), 0)]
        if rng.random() < 0.12:
            failures = 1 if rng.random() < 0.15 else 0
            visits.append(
                (
                    datetime.date(2025, 2, 3) + datetime.timedelta(days=rng.randint(0, 40)),
                    rng.random() * 0.8,
                    failures,
                )
            )
        for verified_on, level, failures in visits:
            if level < 0.15:
                low, high = rng.uniform(42, 59.4), rng.uniform(55, 85)
            elif level < 0.6:
                low = rng.uniform(60, 79.4)
                high = rng.uniform(low, 94)
            else:
                low, high = rng.uniform(80, 96), rng.uniform(80, 96)
            social, environmental = (low, high) if rng.random() < 0.5 else (high, low)
            social_percent = Decimal(str(social)).quantize(TWO_PLACES)
            environmental_percent = Decimal(str(environmental)).quantize(TWO_PLACES)
            if (certification.pk, verified_on) in existing:
                continue
            verification = CafeVerification(
                certification=certification,
                verified_on=verified_on,
                verifier="SCS Global Services",
                social_percent=social_percent,
                environmental_percent=environmental_percent,
                zero_tolerance_failures=failures,
                tier=cafe_tier(social_percent, environmental_percent, failures),
            )
            verification._history_user = recorded_by
            rows.append(verification)
    bulk_create_with_history(rows, CafeVerification, batch_size=2000)
    demo.report.count("C.A.F.E. verifications", len(rows))
