"""A demo cooperative shaped like the Bio Azul case study, built through the domain services.

Deterministic (a seeded random generator, fixed dates) and idempotent: every record has a natural key
(member code, farm name, program code, loan reference, visit UUID), and a record that already exists is
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

from certifications.models import Certification, CertificationStatus, Standard
from certifications.services import (
    certification_change_status,
    certification_create,
    certification_import_history,
)
from cooperative.models import AllianceProgram, CommunityProject, Partner, ProgramEnrollment, Region, StaffRole
from cooperative.services import community_project_create, enrollment_create, staff_role_grant
from credit.models import CreditProduct, InputItem, InterestMethod, Loan, RepaymentMode
from credit.selectors import loan_balance
from credit.services import loan_approve, loan_create, loan_disburse, loan_repay
from members.models import Farm, FarmVisit, Member
from members.services import farm_create, member_create, visit_record

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
        return self.report
