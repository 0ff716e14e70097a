"""A demo cooperative shaped like the Bio Azul case study, built through the domain services.

Deterministic (a seeded random generator, fixed dates) and idempotent: every record has a natural key
(member code, farm name, program code, loan reference, visit UUID; for the Internal Control System: an
inspection's farm and date, a sanction's certification, kind and start, a C.A.F.E. verification's
certification and date, a group certificate's standard and number), and a record that already exists is
left as it is, so a second run writes nothing.

Figures from the case study: 700+ coffee members in Cusco and Junín farming 3,000+ ha and producing an
estimated 26,800 bags (69 kg) a year; 400+ cocoa members in San Martín and Huánuco; the Lutheran World
Relief alliance (February 2012, Huánuco, 500 cocoa farmers certified, 1,000 beneficiaries); ECOM Peru - SMS
(400 cocoa farmers) and its primary school for 200 children in Juan Velasco Alvarado.
"""

import datetime
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from certifications.committee import cafe_tier
from certifications.models import (
    OPEN_STATUSES,
    CafeVerification,
    Certification,
    CertificationEvent,
    CertificationStatus,
    Checklist,
    GroupCertificate,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Sanction,
    Standard,
)
from certifications.services import (
    certification_change_status,
    certification_create,
    certification_import_history,
)
from cooperative.models import AllianceProgram, CommunityProject, Partner, ProgramEnrollment, Region, StaffRole
from cooperative.services import community_project_create, staff_role_grant
from credit.models import CreditProduct, InputItem, InterestMethod, Loan, RepaymentMode
from credit.selectors import loan_balance
from credit.services import loan_approve, loan_create, loan_disburse, loan_repay
from members.models import Farm, FarmVisit, Member
from members.services import enrollment_create, farm_create, member_create, visit_record

SEED = 2012
DEMO_PASSWORD = "cafe-cacao-2026"
VISIT_NAMESPACE = uuid.UUID("6f1c3c52-5d0e-4a8e-9d7b-2f4f9a0c1e10")
COFFEE_BAGS_69KG = 26_800
COFFEE_TOTAL_KG = Decimal(COFFEE_BAGS_69KG * 69)

DEMO_USERS = [
    # username, first name, last name, role, regions (None = all)
    ("gerente", "Rosa", "Quispe", StaffRole.Role.MANAGER, None),
    ("tecnico", "Julio", "Huamán", StaffRole.Role.TECHNICIAN, ["Huánuco", "San Martín"]),
    ("credito", "Elena", "Mamani", StaffRole.Role.CREDIT_OFFICER, None),
    ("sci", "Marco", "Espinoza", StaffRole.Role.ICS_COORDINATOR, None),
]

# region, crop, number of members, districts, centre (lat, lon), altitude range (m)
MEMBER_GROUPS = [
    (
        "Cusco",
        "coffee",
        362,
        ["Santa Teresa", "Echarati", "Quellouno", "Huayopata", "Maranura"],
        (-12.86, -72.69),
        (1100, 2000),
    ),
    (
        "Junín",
        "coffee",
        358,
        ["Pichanaqui", "Perené", "Satipo", "Río Negro", "San Ramón"],
        (-11.10, -74.65),
        (1000, 1900),
    ),
    (
        "San Martín",
        "cocoa",
        196,
        ["Juanjuí", "Tocache", "Uchiza", "Bellavista", "Saposoa"],
        (-7.40, -76.60),
        (250, 700),
    ),
    (
        "Huánuco",
        "cocoa",
        229,
        ["Rupa-Rupa", "José Crespo y Castillo", "Luyando", "Mariano Dámaso Beraún", "Daniel Alomía Robles"],
        (-9.20, -76.00),
        (550, 950),
    ),
]
COMMUNITIES = {
    "Cusco": ["Chaupimayo", "Santa María", "Huyro", "Palma Real", "Incatambo"],
    "Junín": ["San Juan", "Villa Progreso", "Alto Kimiriki", "Bajo Marankiari", "Sanibeni"],
    "San Martín": ["Nuevo Tocache", "Pólvora", "Huicungo", "Pajarillo", "Alto el Sol"],
    "Huánuco": ["Juan Velasco Alvarado", "Pueblo Nuevo", "Aucayacu", "Naranjillo", "Supte San Jorge"],
}
FIRST_NAMES = {
    "female": [
        "María",
        "Rosa",
        "Juana",
        "Carmen",
        "Lucía",
        "Elena",
        "Nelly",
        "Gladys",
        "Hilda",
        "Norma",
        "Flor",
        "Yolanda",
    ],
    "male": [
        "José",
        "Juan",
        "Luis",
        "Carlos",
        "Teodoro",
        "Pedro",
        "Víctor",
        "Jorge",
        "Alberto",
        "Wilfredo",
        "Hugo",
        "Raúl",
    ],
}
LAST_NAMES = [
    "Quispe",
    "Huamán",
    "Mamani",
    "Flores",
    "Rojas",
    "Espinoza",
    "Cárdenas",
    "Ramos",
    "Torres",
    "Vargas",
    "Chávez",
    "Gutiérrez",
    "Sánchez",
    "Paucar",
    "Ccori",
    "Ticona",
    "Lino",
    "Castro",
    "Inga",
    "Soto",
]
VARIETIES = {
    "coffee": ["Typica, Caturra", "Bourbon, Typica", "Catimor", "Caturra, Catuaí", "Geisha, Typica"],
    "cocoa": ["CCN-51", "Criollo, Trinitario", "ICS-95, CCN-51", "Trinitario"],
}
PESTS = {
    "coffee": ["leaf_rust", "berry_borer", "american_leaf_spot"],
    "cocoa": ["frosty_pod_rot", "witches_broom", "black_pod"],
}
PRACTICES = [
    "composting",
    "pruning_renovation",
    "shade_management",
    "soil_conservation",
    "integrated_pest_management",
    "fermentation_drying",
]

TWO_PLACES = Decimal("0.01")
SIX_PLACES = Decimal("0.000001")

# -- Internal Control System --------------------------------------------------------------------------------
# The demo depicts the cooperative in late November 2026: the ICS records end a fortnight before.
DEMO_DATE = datetime.date(2026, 11, 29)
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


@dataclass
class Report:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.created[name] = self.created.get(name, 0) + n


def _money(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


class DemoBuilder:
    def __init__(self, log: Callable[[str], None] = lambda message: None) -> None:
        self.rng = random.Random(SEED)
        self.log = log
        self.report = Report()
        self.regions = {region.name: region for region in Region.objects.all()}
        self.standards = {standard.code: standard for standard in Standard.objects.all()}

    # -- people ---------------------------------------------------------------------------------
    def users(self) -> dict[str, object]:
        User = get_user_model()
        users = {}
        for username, first, last, role, region_names in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                self.report.count("users")
            if not StaffRole.objects.filter(user=user, role=role).exists():
                regions = [self.regions[name] for name in region_names or []]
                staff_role_grant(user=user, role=role, regions=regions, all_regions=region_names is None)
            users[role] = user
            self.report.logins.append((StaffRole.Role(role).label, username, DEMO_PASSWORD))
        return users

    # -- partners, programs ---------------------------------------------------------------------
    def programs(self) -> dict[str, AllianceProgram]:
        partners = {}
        for name, kind, country in [
            ("Lutheran World Relief", Partner.Kind.NGO, "US"),
            ("ECOM Perú – SMS", Partner.Kind.BUYER, "PE"),
            ("Cafetalera Amazónica", Partner.Kind.BUYER, "PE"),
            ("Control Union Perú", Partner.Kind.CERTIFIER, "PE"),
        ]:
            partner, created = Partner.objects.get_or_create(name=name, defaults={"kind": kind, "country": country})
            self.report.count("partners", int(created))
            partners[name] = partner
        specs = [
            dict(
                code="LWR-HUA-2012",
                partner=partners["Lutheran World Relief"],
                name="Alianza LWR: certificación de 500 productores de cacao en Huánuco",
                description="Alianza estratégica firmada en febrero de 2012: certificar 500 productores de cacao de "
                "Huánuco en UTZ y Rainforest Alliance.",
                crops=["cocoa"],
                starts_on=datetime.date(2012, 2, 1),
                ends_on=None,
                target_farmers_certified=500,
                target_beneficiaries=1000,
                regions=["Huánuco"],
                standards=["utz", "rainforest_alliance"],
            ),
            dict(
                code="ECOM-SMS",
                partner=partners["ECOM Perú – SMS"],
                name="ECOM Perú – SMS: 400 productores de cacao conectados con la industria",
                description="Buenas prácticas agrícolas, innovación tecnológica y compostaje para 400 pequeños "
                "productores de cacao.",
                crops=["cocoa"],
                starts_on=datetime.date(2013, 1, 1),
                ends_on=None,
                target_farmers_certified=400,
                target_beneficiaries=1000,
                regions=["San Martín", "Huánuco"],
                standards=["rainforest_alliance"],
            ),
            dict(
                code="BIOAZUL-CAFE",
                partner=partners["Cafetalera Amazónica"],
                name="Bio Azul café: asistencia técnica y certificación",
                description="Programa de café iniciado en 2003 con 14 productores de San Juan.",
                crops=["coffee"],
                starts_on=datetime.date(2003, 1, 1),
                ends_on=None,
                target_farmers_certified=700,
                target_beneficiaries=700,
                regions=["Cusco", "Junín"],
                standards=["organic", "rainforest_alliance", "cafe_practices"],
            ),
        ]
        programs = {}
        for spec in specs:
            region_names, standard_codes = spec.pop("regions"), spec.pop("standards")
            program = AllianceProgram.objects.filter(code=spec["code"]).first()
            if program is None:
                program = AllianceProgram(**spec)
                program.full_clean()
                program.save()
                program.regions.set([self.regions[name] for name in region_names])
                program.standards.set([self.standards[code] for code in standard_codes])
                self.report.count("programs")
            programs[program.code] = program
        if not CommunityProject.objects.filter(name="Escuela primaria de Juan Velasco Alvarado").exists():
            community_project_create(
                name="Escuela primaria de Juan Velasco Alvarado",
                program=programs["ECOM-SMS"],
                region=self.regions["Huánuco"],
                community="Juan Velasco Alvarado",
                description="Escuela primaria construida por ECOM Perú – SMS para 200 niños y niñas.",
                beneficiaries=200,
                completed_on=datetime.date(2015, 3, 2),
            )
            self.report.count("community projects")
        return programs

    # -- members and farms ----------------------------------------------------------------------
    def _point(self, centre: tuple[float, float]) -> tuple[Decimal, Decimal]:
        lat = Decimal(str(centre[0] + self.rng.uniform(-0.35, 0.35))).quantize(SIX_PLACES)
        lon = Decimal(str(centre[1] + self.rng.uniform(-0.35, 0.35))).quantize(SIX_PLACES)
        return lat, lon

    @staticmethod
    def _square(lat: Decimal, lon: Decimal, hectares: Decimal) -> dict:
        """A square plot of the given area centred on the point (GeoJSON: [longitude, latitude])."""
        half_side_m = math.sqrt(float(hectares) * 10_000) / 2
        dlat = half_side_m / 111_320
        dlon = half_side_m / (111_320 * math.cos(math.radians(float(lat))))
        y, x = float(lat), float(lon)
        ring = [
            [x - dlon, y - dlat],
            [x + dlon, y - dlat],
            [x + dlon, y + dlat],
            [x - dlon, y + dlat],
            [x - dlon, y - dlat],
        ]
        return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}

    def member_specs(self) -> list[dict]:
        """Every member and farm, drawn from the seeded generator in one fixed order."""
        rng = self.rng
        specs = []
        dnis = rng.sample(range(10_000_000, 48_000_000), 1200)
        number = 0
        for region_name, crop, count, districts, centre, altitudes in MEMBER_GROUPS:
            for _ in range(count):
                number += 1
                gender = "female" if rng.random() < 0.32 else "male"
                if crop == "coffee":
                    joined = (
                        datetime.date(2003, 3, 1)
                        if number <= 14
                        else datetime.date(rng.randint(2003, 2011), rng.randint(1, 12), rng.randint(1, 28))
                    )
                else:
                    joined = datetime.date(rng.randint(2012, 2016), rng.randint(1, 12), rng.randint(1, 28))
                consents = rng.random() < 0.7
                district_index = rng.randrange(len(districts))
                member = dict(
                    code=f"BA-{number:05d}",
                    first_names=rng.choice(FIRST_NAMES[gender]),
                    last_names=f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
                    dni=None if rng.random() < 0.04 else f"{dnis[number]:08d}",
                    gender=gender,
                    birth_date=datetime.date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                    phone=f"9{rng.randint(10_000_000, 99_999_999)}",
                    region=self.regions[region_name],
                    district=districts[district_index],
                    community="San Juan" if number <= 14 else COMMUNITIES[region_name][district_index],
                    joined_on=joined,
                    consents_to_share=consents,
                    consent_date=max(joined, datetime.date(2019, 6, 1)) if consents else None,
                )
                n_farms = 2 if rng.random() < 0.15 else 1
                farms = []
                for index in range(n_farms):
                    if crop == "coffee":
                        hectares = Decimal(str(rng.triangular(1.2, 8.5, 3.6))).quantize(TWO_PLACES)
                        if n_farms == 2:
                            hectares = (hectares * Decimal("0.6")).quantize(TWO_PLACES)
                    else:
                        hectares = Decimal(str(rng.triangular(0.8, 5.0, 2.0))).quantize(TWO_PLACES)
                    lat, lon = self._point(centre)
                    farms.append(
                        dict(
                            name=f"Parcela {index + 1}",
                            district=member["district"],
                            community=member["community"],
                            hectares=hectares,
                            crop=crop,
                            varieties=rng.choice(VARIETIES[crop]),
                            altitude_m=rng.randint(*altitudes),
                            latitude=lat,
                            longitude=lon,
                            planted_year=rng.randint(max(joined.year - 8, 1990), max(joined.year, 2003)),
                            yield_factor=Decimal(str(rng.uniform(450, 760))),
                        )
                    )
                specs.append({"member": member, "farms": farms})
        # Teodoro Espiritu Lino: coca until 2013, then six hectares of cocoa with Bioazul - ECOM Peru.
        teodoro = specs[-1]
        teodoro["member"].update(
            first_names="Teodoro",
            last_names="Espiritu Lino",
            gender="male",
            community="Juan Velasco Alvarado",
            birth_date=datetime.date(1965, 4, 12),
            joined_on=datetime.date(2013, 2, 4),
            consents_to_share=True,
            consent_date=datetime.date(2019, 6, 1),
        )
        teodoro["farms"] = [
            dict(
                teodoro["farms"][0],
                hectares=Decimal("6.00"),
                planted_year=2013,
                previous_crop="coca",
                crop_changed_on=datetime.date(2013, 5, 15),
            )
        ]
        self._production(specs)
        return specs

    @staticmethod
    def _production(specs: list[dict]) -> None:
        """Estimated production: coffee in quintals adding up to the case study's 26,800 export bags."""
        coffee = [farm for spec in specs for farm in spec["farms"] if farm["crop"] == "coffee"]
        raw = [farm["hectares"] * farm["yield_factor"] for farm in coffee]
        scale = COFFEE_TOTAL_KG / sum(raw)
        total = Decimal(0)
        for farm, value in zip(coffee[:-1], raw[:-1], strict=True):
            quintals = (value * scale / 46).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            farm.update(production_quantity=quintals, production_unit=Farm.ProductionUnit.QUINTAL)
            total += quintals * 46
        coffee[-1].update(production_quantity=COFFEE_TOTAL_KG - total, production_unit=Farm.ProductionUnit.KG)
        for spec in specs:
            for farm in spec["farms"]:
                yield_factor = farm.pop("yield_factor")
                if farm["crop"] == "cocoa":
                    farm.update(production_quantity=_money(farm["hectares"] * yield_factor), production_unit="kg")

    def members(self, specs: list[dict]) -> None:
        existing_members = dict(Member.objects.values_list("code", "pk"))
        existing_farms = set(Farm.objects.values_list("member__code", "name"))
        for spec in specs:
            data = spec["member"]
            if data["code"] in existing_members:
                member = Member(pk=existing_members[data["code"]], **data)
            else:
                member = member_create(**data)
                self.report.count("members")
            for farm_data in spec["farms"]:
                if (data["code"], farm_data["name"]) in existing_farms:
                    continue
                boundary = None
                if farm_data["hectares"] > 4:
                    boundary = self._square(farm_data["latitude"], farm_data["longitude"], farm_data["hectares"])
                farm_create(member=member, region=member.region, boundary=boundary, **farm_data)
                self.report.count("farms")

    # -- certifications -------------------------------------------------------------------------
    def certifications(self, users: dict) -> None:
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
                standard = self.standards[code]
                if (farm.pk, standard.pk) in done:
                    continue
                self._certify(farm, standard, outcome, ics)
                self.report.count("certifications")

    def _certify(self, farm: Farm, standard: Standard, outcome: str, decider) -> None:
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

    # -- program enrolments ---------------------------------------------------------------------
    def enrolments(self, programs: dict[str, AllianceProgram]) -> None:
        done = set(ProgramEnrollment.objects.values_list("program_id", "member_id"))
        members = list(Member.objects.filter(status=Member.Status.ACTIVE).select_related("region").order_by("code"))
        cocoa = [m for m in members if m.region.name in ("San Martín", "Huánuco")]
        coffee = [m for m in members if m.region.name in ("Cusco", "Junín")]
        plan = [(programs["ECOM-SMS"], cocoa[-400:]), (programs["BIOAZUL-CAFE"], coffee)]
        plan.append((programs["LWR-HUA-2012"], [m for m in cocoa if m.region.name == "Huánuco"]))
        for program, group in plan:
            for member in group:
                if (program.pk, member.pk) in done:
                    continue
                enrollment_create(program=program, member=member, enrolled_on=max(member.joined_on, program.starts_on))
                self.report.count("enrolments")

    # -- credit -------------------------------------------------------------------------------
    def credit(self, users: dict, programs: dict[str, AllianceProgram]) -> None:
        items = {}
        for name, kind, unit, price in [
            ("Guano de isla", InputItem.Kind.FERTILIZER, "saco 50 kg", "78.00"),
            ("Abono orgánico compostado", InputItem.Kind.FERTILIZER, "saco 50 kg", "35.00"),
            ("Roca fosfórica", InputItem.Kind.FERTILIZER, "saco 50 kg", "42.50"),
            ("Tendal de secado", InputItem.Kind.DRYING_BED, "unidad", "650.00"),
            ("Cajón fermentador", InputItem.Kind.FERMENTATION_BOX, "unidad", "480.00"),
            ("Secador solar", InputItem.Kind.SOLAR_DRYER, "unidad", "1850.00"),
        ]:
            item, created = InputItem.objects.get_or_create(
                name=name, defaults={"kind": kind, "unit": unit, "unit_price": Decimal(price)}
            )
            self.report.count("input items", int(created))
            items[name] = item
        products = {}
        for name, method, rate, mode, repayments, grace in [
            ("Fertilizantes – 6 cuotas", InterestMethod.FLAT, "12.00", RepaymentMode.PERIODIC, 6, 1),
            (
                "Módulos poscosecha – pago a la cosecha",
                InterestMethod.DECLINING_BALANCE,
                "10.00",
                RepaymentMode.HARVEST_BULLET,
                1,
                6,
            ),
        ]:
            product, created = CreditProduct.objects.get_or_create(
                name=name,
                defaults=dict(
                    interest_method=method,
                    annual_rate=Decimal(rate),
                    repayment_mode=mode,
                    number_of_repayments=repayments,
                    grace_periods=grace,
                    max_deduction_percent=Decimal("30.00"),
                ),
            )
            self.report.count("credit products", int(created))
            products[name] = product
        officer, manager = users[StaffRole.Role.CREDIT_OFFICER], users[StaffRole.Role.MANAGER]
        existing = set(Loan.objects.values_list("reference", flat=True))
        rng = random.Random(SEED + 2)
        members = list(Member.objects.select_related("region").order_by("code"))
        borrowers = rng.sample(members[:-1], 190) + [members[-1]]  # the last cocoa member is Teodoro
        for number, member in enumerate(borrowers, start=1):
            reference = f"CR-DEMO-{number:04d}"
            draw = rng.random()
            cocoa = member.region.name in ("San Martín", "Huánuco")
            post_harvest = cocoa and (draw < 0.5 or number == len(borrowers))
            if post_harvest:
                product = products["Módulos poscosecha – pago a la cosecha"]
                lines = [(items["Secador solar" if draw < 0.2 else "Cajón fermentador"], Decimal("1"))]
                if number == len(borrowers):
                    lines = [(items["Secador solar"], Decimal("1")), (items["Guano de isla"], Decimal("6"))]
            else:
                product = products["Fertilizantes – 6 cuotas"]
                lines = [
                    (items["Guano de isla"], Decimal(rng.randint(4, 12))),
                    (items["Roca fosfórica"], Decimal(rng.randint(1, 4))),
                ]
            if reference in existing:
                continue
            submitted = datetime.date(2026, rng.randint(1, 10), rng.randint(1, 25))
            program = (
                programs["ECOM-SMS"] if cocoa and member.enrollments.filter(program__code="ECOM-SMS").exists() else None
            )
            loan = loan_create(
                member=member,
                product=product,
                lines=lines,
                submitted_by=officer,
                submitted_on=submitted,
                program=program,
                reference=reference,
            )
            self.report.count("loans")
            if draw > 0.95:
                continue  # still waiting for approval
            loan = loan_approve(loan=loan, approved_by=manager, approved_on=submitted + datetime.timedelta(days=3))
            disbursed = submitted + datetime.timedelta(days=7)
            loan = loan_disburse(loan=loan, disbursed_by=officer, disbursed_on=disbursed)
            due = list(loan.instalments.order_by("number"))
            paid_through = datetime.date(2026, 11, 15)
            payable = [inst for inst in due if inst.due_on <= paid_through]
            if not payable:
                continue
            # Most members pay on time; some pay part; a few have paid nothing yet (they feed PAR).
            behaviour = rng.random()
            if behaviour < 0.06:
                continue
            to_pay = payable if behaviour > 0.16 else payable[: max(1, len(payable) // 2)]
            for inst in to_pay:
                outstanding = loan_balance(loan).total_outstanding
                amount = min(inst.principal_due + inst.interest_due, outstanding)
                if amount <= 0:
                    break
                loan_repay(
                    loan=loan,
                    amount=amount,
                    occurred_on=min(inst.due_on + datetime.timedelta(days=rng.randint(-5, 10)), paid_through),
                    recorded_by=officer,
                    kind="harvest_deduction" if product.repayment_mode == RepaymentMode.HARVEST_BULLET else "repayment",
                    note="Pago en oficina"
                    if product.repayment_mode == RepaymentMode.PERIODIC
                    else "Descuento de la liquidación de cosecha",
                )
                self.report.count("repayments")

    # -- visits -------------------------------------------------------------------------------
    def visits(self, users: dict) -> None:
        technician = users[StaffRole.Role.TECHNICIAN]
        existing = set(FarmVisit.objects.values_list("client_uuid", flat=True))
        farms = list(Farm.objects.order_by("member__code", "name"))
        rng = random.Random(SEED + 3)
        purposes = list(FarmVisit.Purpose.values)
        for number in range(1, 641):
            farm = rng.choice(farms)
            visited = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 318))
            client_uuid = uuid.uuid5(VISIT_NAMESPACE, f"visit-{number}")
            pests = {pest: rng.randint(0, 3) for pest in rng.sample(PESTS[farm.crop], rng.randint(0, 2))}
            practices = rng.sample(PRACTICES, rng.randint(1, 3))
            follow = visited + datetime.timedelta(days=rng.randint(20, 60)) if rng.random() < 0.5 else None
            if client_uuid in existing:
                continue
            visit_record(
                client_uuid=client_uuid,
                farm=farm,
                technician=technician,
                visited_on=visited,
                purpose=rng.choice(purposes),
                practices_observed=practices,
                pests=pests,
                estimated_yield_kg=_money(farm.hectares * Decimal(rng.randint(450, 750))),
                recommendations="Podar, aplicar compost y regular la sombra antes de las lluvias.",
                follow_up_on=follow,
            )
            self.report.count("visits")

    # -- Internal Control System ---------------------------------------------------------------
    def ics(self, users: dict) -> None:
        """The Internal Control System's records, consistent with the rules of certifications.inspections and
        certifications.committee: group certificates, a declared conflict of interest, internal inspections
        (answers to every requirement of the checklists in use, a non-conformity for each non-compliant
        answer, some of them closed), sanctions and C.A.F.E. Practices verifications.

        The volume goes through bulk_create (with history); the sales block's status change goes through
        certification_change_status. Inspections are created only under standards with a checklist in use.
        """
        technician = users[StaffRole.Role.TECHNICIAN]
        coordinator = users[StaffRole.Role.ICS_COORDINATOR]
        manager = users[StaffRole.Role.MANAGER]
        self._group_certificates(coordinator)
        conflicted = self._conflict_of_interest(technician)
        specials = self._inspections(
            technician=technician, coordinator=coordinator, manager=manager, conflicted=conflicted
        )
        self._sanctions(specials, coordinator)
        self._cafe_verifications(coordinator)

    def _group_certificates(self, recorded_by) -> None:
        existing = set(GroupCertificate.objects.values_list("standard__code", "number"))
        for code, number, body, valid_from, valid_until, crops in GROUP_CERTIFICATES:
            if (code, number) in existing:
                continue
            certificate = GroupCertificate(
                standard=self.standards[code],
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
            self.report.count("group certificates")

    def _conflict_of_interest(self, technician) -> Member | None:
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
            self.report.count("conflicts of interest")
        return relative

    def _inspections(self, *, technician, coordinator, manager, conflicted: Member | None) -> dict[str, tuple]:
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
            self.log("Sin listas de verificación en uso: no se crean inspecciones internas.")
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
                estimated_yield_kg=_money(production * yield_factor),
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
                standard=self._standard_by_pk(requirement.checklist.standard_id),
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
        self.report.count("inspections", len(inspections))
        self.report.count("inspection answers", len(answer_rows))
        self.report.count("non-conformities", len(non_conformities))
        return specials

    def _standard_by_pk(self, pk: int) -> Standard:
        return next(standard for standard in self.standards.values() if standard.pk == pk)

    def _sanctions(self, specials: dict[str, tuple], decided_by) -> None:
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
                f"No conformidad {requirement.code} sin corregir en el plazo acordado "
                f"({non_conformity.deadline:%d/%m/%Y})."
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
            self.report.count("sanctions")

    def _cafe_verifications(self, recorded_by) -> None:
        """This year's verification of every C.A.F.E. Practices farm (before its certificate of April 2026),
        and last year's for some, a few of them failing a zero-tolerance indicator."""
        rng = random.Random(SEED + 5)
        existing = set(CafeVerification.objects.values_list("certification_id", "verified_on"))
        certifications = Certification.objects.filter(
            standard__code="cafe_practices", status__in=OPEN_STATUSES
        ).order_by("farm__member__code", "farm__name")
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
        self.report.count("C.A.F.E. verifications", len(rows))

    def build(self) -> Report:
        with transaction.atomic():
            users = self.users()
            programs = self.programs()
            self.log("Socios y parcelas…")
            self.members(self.member_specs())
            self.log("Inscripciones en programas…")
            self.enrolments(programs)
            self.log("Certificaciones…")
            self.certifications(users)
            self.log("Créditos…")
            self.credit(users, programs)
            self.log("Visitas de campo…")
            self.visits(users)
            self.log("Sistema interno de control: inspecciones, no conformidades, sanciones…")
            self.ics(users)
            self.log("Entregas de cosecha y liquidaciones…")
            self.deliveries(users)
        return self.report

    def deliveries(self, users: dict) -> None:
        """Deliveries of the season up to the demo date, most settled with the loans deducted (through the
        deliveries and credit services, so the ledger and the statements show them)."""
        from demo.deliveries import seed_demo_deliveries

        season_end = min(DEMO_DATE, timezone.localdate())
        recorded = seed_demo_deliveries(received_by=users[StaffRole.Role.CREDIT_OFFICER], season_end=season_end)
        self.report.count("deliveries", recorded)
