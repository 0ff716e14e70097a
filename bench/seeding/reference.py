"""What the generated rows refer to, created once per data set and found again by name on later runs: where
members live (PLACES), the staff users, the partners and their programs, the input catalogue and the credit
products; and the names members are given."""

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import Standard
from cooperative.models import AllianceProgram, Partner, Region, StaffRole
from cooperative.services import staff_role_grant
from credit.models import CreditProduct, InputItem, InterestMethod, RepaymentMode

USER_PREFIX = "scale-"


@dataclass(frozen=True)
class Place:
    """Where members of one crop live in a region: their share of all members, the growing area's centre
    (latitude, longitude), its altitudes and districts."""

    region: str
    crop: str
    share: float
    centre: tuple[float, float]
    altitude: tuple[int, int]
    districts: tuple[str, ...]


# Coffee about 80% of the members (Junín, San Martín and Cajamarca first), cocoa about 20% (San Martín first).
PLACES = (
    Place("Junín", "coffee", 19.0, (-11.10, -74.65), (900, 1900), ("Pichanaqui", "Perené", "Satipo", "Río Negro",
                                                                    "San Ramón", "Pangoa", "Mazamari")),
    Place("San Martín", "coffee", 13.5, (-6.00, -77.20), (900, 1700), ("Moyobamba", "Rioja", "Lamas",
                                                                       "Nueva Cajamarca", "Jepelacio", "Soritor")),
    Place("Cajamarca", "coffee", 13.5, (-5.50, -78.90), (1100, 2000), ("Jaén", "San Ignacio", "Huabal", "La Coipa",
                                                                       "Tabaconas", "San José de Lourdes")),
    Place("Cusco", "coffee", 9.0, (-12.86, -72.69), (1100, 2100), ("Santa Teresa", "Echarati", "Quellouno",
                                                                   "Huayopata", "Maranura", "Santa Ana")),
    Place("Amazonas", "coffee", 9.0, (-6.00, -78.00), (1200, 2000), ("San Nicolás", "Omia", "Huambo",
                                                                     "Lonya Grande", "Cajaruro", "Jamalca")),
    Place("Puno", "coffee", 3.2, (-14.15, -69.25), (1200, 1900), ("San Juan del Oro", "Putina Punco",
                                                                  "Alto Inambari", "Sandia", "Yanahuaya")),
    Place("Pasco", "coffee", 3.2, (-10.60, -75.30), (1000, 1800), ("Villa Rica", "Oxapampa", "Chontabamba",
                                                                   "Puerto Bermúdez", "Palcazú")),
    Place("Huánuco", "coffee", 3.2, (-9.30, -75.90), (1000, 1900), ("Chinchao", "Monzón", "Rupa-Rupa", "Luyando")),
    Place("Piura", "coffee", 2.4, (-5.00, -79.70), (1100, 1900), ("Huancabamba", "Canchaque", "San Miguel de El Faique",
                                                                  "Montero", "Lalaquiz")),
    Place("Ayacucho", "coffee", 2.4, (-12.60, -73.85), (900, 1700), ("Ayna", "Santa Rosa", "Sivia", "Llochegua",
                                                                     "Anco")),
    Place("San Martín", "cocoa", 7.0, (-7.20, -76.50), (250, 700), ("Juanjuí", "Tocache", "Uchiza", "Bellavista",
                                                                    "Saposoa", "Huicungo")),
    Place("Huánuco", "cocoa", 2.8, (-9.20, -76.00), (550, 950), ("Rupa-Rupa", "José Crespo y Castillo", "Luyando",
                                                                 "Mariano Dámaso Beraún", "Pueblo Nuevo")),
    Place("Junín", "cocoa", 2.4, (-11.25, -74.55), (400, 900), ("Pangoa", "Río Tambo", "Mazamari", "Satipo")),
    Place("Cusco", "cocoa", 2.4, (-12.70, -72.90), (400, 900), ("Echarati", "Kimbiri", "Pichari", "Quellouno")),
    Place("Ucayali", "cocoa", 2.4, (-8.80, -75.20), (150, 400), ("Padre Abad", "Irazola", "Curimaná", "Neshuya")),
    Place("Amazonas", "cocoa", 1.6, (-5.60, -78.40), (300, 800), ("Imaza", "Aramango", "Bagua", "Copallín")),
    Place("Ayacucho", "cocoa", 1.4, (-12.50, -73.90), (500, 900), ("Llochegua", "Sivia", "Santa Rosa", "Ayna")),
)  # fmt: skip
PLACE_JITTER_DEGREES = 0.3

# Technicians work a group of neighbouring regions; three per group.
TECHNICIAN_GROUPS = {
    "norte": ("Cajamarca", "Amazonas", "Piura"),
    "nororiente": ("San Martín",),
    "selva-central": ("Junín", "Pasco"),
    "huallaga": ("Huánuco", "Ucayali"),
    "sur": ("Cusco", "Puno", "Ayacucho"),
}
TECHNICIANS_PER_GROUP = 3
STAFF = [
    # username (after the prefix), first name, last name, role
    ("gerente", "Gloria", "Ccahuana", StaffRole.Role.MANAGER),
    ("credito", "Walter", "Apaza", StaffRole.Role.CREDIT_OFFICER),
    ("sci", "Roxana", "Yupanqui", StaffRole.Role.ICS_COORDINATOR),
]

COMMUNITY_NAMES = (
    "Alto Perú", "Nueva Esperanza", "San Antonio", "Santa Rosa", "Pampa Hermosa", "Villa Progreso", "San Juan",
    "Nuevo Horizonte", "Alto Sanibeni", "Bajo Pichanaqui", "Unión Progreso", "Los Ángeles", "Miraflores",
    "Buenos Aires", "San Martín de Pangoa", "Puerto Ocopa", "Chontabamba", "Huaylla", "Yanamayo", "Pumahuasi",
    "Inkawasi", "Ccochapampa", "Huayrapata", "Sachapampa", "Quellomayo", "Chaupimayo", "Tunquimayo", "Palma Real",
    "Pampas del Sacramento", "Alto Tamaya", "Chirinos", "Huarango", "Tambillo", "Pucapampa", "Rumichaca",
    "Ccollpa", "Llactapampa", "Willkapampa", "Qollqepata", "Sonomoro", "Kimiriki", "Marankiari", "Santa Clara",
    "El Porvenir", "La Florida", "Nuevo Progreso", "Túpac Amaru", "San Francisco", "Monte Sinaí", "Cedropampa",
)  # fmt: skip
COMMUNITIES_PER_REGION = 24
SECTORS_PER_REGION = 12

FIRST_NAMES = {
    "female": ("María", "Rosa", "Juana", "Carmen", "Lucía", "Elena", "Nelly", "Gladys", "Hilda", "Norma", "Flor",
               "Yolanda", "Marleny", "Delia", "Teófila", "Sonia", "Maribel", "Luz", "Edith", "Rocío", "Felícitas",
               "Nilda", "Ruth", "Isabel"),
    "male": ("José", "Juan", "Luis", "Carlos", "Teodoro", "Pedro", "Víctor", "Jorge", "Alberto", "Wilfredo", "Hugo",
             "Raúl", "Fortunato", "Eusebio", "Máximo", "Edwin", "Richard", "Wilmer", "Nilo", "Elmer", "Santos",
             "Fidel", "Alcides", "Percy"),
}  # fmt: skip
LAST_NAMES = (
    "Quispe", "Huamán", "Mamani", "Flores", "Rojas", "Espinoza", "Cárdenas", "Ramos", "Torres", "Vargas", "Chávez",
    "Gutiérrez", "Sánchez", "Paucar", "Ccori", "Ticona", "Lino", "Castro", "Inga", "Soto", "Condori", "Apaza",
    "Choque", "Yupanqui", "Huillca", "Ccahuana", "Puma", "Tito", "Cusi", "Layme", "Pari", "Sucasaire", "Díaz",
    "Fernández", "Pérez", "Tarrillo", "Guevara", "Carrasco", "Delgado", "Bustamante", "Rivera", "Campos", "Vásquez",
    "Mego", "Huancas", "Chuquizuta", "Tuesta", "Pinedo", "Panduro", "Shapiama", "Tapullima", "Sangama",
)  # fmt: skip
CERTIFICATES = {
    # standard: (certificate number prefix, certification body)
    "organic": ("SC-ORG", "Control Union Perú"),
    "rainforest_alliance": ("SC-RA", "Control Union Perú"),
    "cafe_practices": ("SC-CP", "SCS Global Services"),
    "utz": ("UTZ", "Control Union Perú"),
}

PARTNERS = [
    # name, kind, country
    ("Fondo Andino para el Café Sostenible", Partner.Kind.DONOR, "CH"),
    ("Alianza Café de Altura", Partner.Kind.BUYER, "US"),
    ("Programa Selva Productiva", Partner.Kind.GOVERNMENT, "PE"),
]
PROGRAMS = [
    dict(
        code="SCALE-CAFE-NORTE",
        partner="Fondo Andino para el Café Sostenible",
        name="Café del norte: certificación orgánica y Rainforest Alliance",
        crops=["coffee"],
        starts_on=datetime.date(2019, 3, 1),
        target_farmers_certified=30_000,
        target_beneficiaries=60_000,
        regions=["Cajamarca", "Amazonas", "San Martín", "Piura"],
        standards=["organic", "rainforest_alliance"],
    ),
    dict(
        code="SCALE-CAFE-SUR",
        partner="Alianza Café de Altura",
        name="Café de selva central y sur: C.A.F.E. Practices",
        crops=["coffee"],
        starts_on=datetime.date(2020, 1, 15),
        target_farmers_certified=25_000,
        target_beneficiaries=40_000,
        regions=["Junín", "Pasco", "Huánuco", "Cusco", "Puno", "Ayacucho"],
        standards=["cafe_practices", "rainforest_alliance"],
    ),
    dict(
        code="SCALE-CACAO",
        partner="Programa Selva Productiva",
        name="Cacao sin deforestación: buenas prácticas y trazabilidad",
        crops=["cocoa"],
        starts_on=datetime.date(2021, 2, 1),
        target_farmers_certified=15_000,
        target_beneficiaries=30_000,
        regions=["San Martín", "Huánuco", "Junín", "Cusco", "Ucayali", "Amazonas", "Ayacucho"],
        standards=["rainforest_alliance", "organic"],
    ),
]

ITEMS = [
    # name, kind, unit, price (the demo's catalogue, plus coffee seedlings)
    ("Guano de isla", InputItem.Kind.FERTILIZER, "saco 50 kg", "78.00"),
    ("Abono orgánico compostado", InputItem.Kind.FERTILIZER, "saco 50 kg", "35.00"),
    ("Roca fosfórica", InputItem.Kind.FERTILIZER, "saco 50 kg", "42.50"),
    ("Tendal de secado", InputItem.Kind.DRYING_BED, "unidad", "650.00"),
    ("Cajón fermentador", InputItem.Kind.FERMENTATION_BOX, "unidad", "480.00"),
    ("Secador solar", InputItem.Kind.SOLAR_DRYER, "unidad", "1850.00"),
    ("Plantones de café injertados", InputItem.Kind.OTHER, "ciento", "85.00"),
]
FERTILIZER, POST_HARVEST, RENOVATION = "fertilizer", "post_harvest", "renovation"
PRODUCTS = {
    # key: name, interest method, annual rate, repayment mode, repayments, grace months, max deduction %
    FERTILIZER: ("Fertilizantes – 6 cuotas", InterestMethod.FLAT, "12.00", RepaymentMode.PERIODIC, 6, 1, "30.00"),
    POST_HARVEST: (
        "Módulos poscosecha – pago a la cosecha",
        InterestMethod.DECLINING_BALANCE,
        "10.00",
        RepaymentMode.HARVEST_BULLET,
        1,
        6,
        "30.00",
    ),
    RENOVATION: (
        "Renovación de cafetales – 12 cuotas",
        InterestMethod.DECLINING_BALANCE,
        "14.00",
        RepaymentMode.PERIODIC,
        12,
        3,
        "40.00",
    ),
}


@dataclass
class Context:
    """What the generated rows refer to, read or created once per run."""

    as_of: datetime.date
    now: datetime.datetime
    regions: dict[str, int]
    standards: dict[str, Standard]
    manager: int
    credit_officer: int
    ics_coordinator: int
    technicians: dict[str, list[int]]  # region name -> technician user ids
    programs: list[tuple[int, frozenset[str], str, datetime.date]]  # id, region names, crop, starts on
    items: dict[str, tuple[int, Decimal]]  # name -> id, unit price
    products: dict[str, CreditProduct]
    communities: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _user(username: str, first_name: str, last_name: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.org"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _grant(user, role: str, regions: Sequence[Region] = (), all_regions: bool = False) -> None:
    if not StaffRole.objects.filter(user=user, role=role).exists():
        staff_role_grant(user=user, role=role, regions=regions, all_regions=all_regions)


@transaction.atomic
def load_context(as_of: datetime.date) -> Context:
    """Staff users, partners, programs, catalogue and products: created once (found again by their names)."""
    regions = {region.name: region for region in Region.objects.all()}
    missing = sorted({place.region for place in PLACES} - set(regions))
    if missing:
        raise ValueError(_("Regions missing (run the migrations first): %(names)s") % {"names": ", ".join(missing)})
    standards = {standard.code: standard for standard in Standard.objects.all()}
    if not set(CERTIFICATES) <= set(standards):
        raise ValueError(_("Certification standards missing: run the migrations first."))

    staff = {}
    for name, first_name, last_name, role in STAFF:
        user = _user(f"{USER_PREFIX}{name}", first_name, last_name)
        _grant(user, role, all_regions=True)
        staff[role] = user.pk
    technicians: dict[str, list[int]] = {}
    rng = random.Random("scale-technicians")
    for group, region_names in TECHNICIAN_GROUPS.items():
        for number in range(1, TECHNICIANS_PER_GROUP + 1):
            first_name = rng.choice(FIRST_NAMES[rng.choice(("female", "male"))])
            user = _user(f"{USER_PREFIX}tecnico-{group}-{number}", first_name, rng.choice(LAST_NAMES))
            _grant(user, StaffRole.Role.TECHNICIAN, [regions[name] for name in region_names])
            for name in region_names:
                technicians.setdefault(name, []).append(user.pk)

    partners = {}
    for name, kind, country in PARTNERS:
        partners[name], _created = Partner.objects.get_or_create(name=name, defaults={"kind": kind, "country": country})
    programs = []
    for spec in PROGRAMS:
        spec = dict(spec)
        region_names, standard_codes = spec.pop("regions"), spec.pop("standards")
        program = AllianceProgram.objects.filter(code=spec["code"]).first()
        if program is None:
            program = AllianceProgram(**{**spec, "partner": partners[spec["partner"]]})
            program.full_clean()
            program.save()
            program.regions.set([regions[name] for name in region_names])
            program.standards.set([standards[code] for code in standard_codes])
        programs.append((program.pk, frozenset(region_names), spec["crops"][0], program.starts_on))

    items = {}
    for name, kind, unit, price in ITEMS:
        item, _created = InputItem.objects.get_or_create(
            name=name, defaults={"kind": kind, "unit": unit, "unit_price": Decimal(price)}
        )
        items[name] = (item.pk, item.unit_price)
    products = {}
    for key, (name, method, rate, mode, repayments, grace, deduction) in PRODUCTS.items():
        products[key], _created = CreditProduct.objects.get_or_create(
            name=name,
            defaults=dict(
                interest_method=method,
                annual_rate=Decimal(rate),
                repayment_mode=mode,
                number_of_repayments=repayments,
                grace_periods=grace,
                max_deduction_percent=Decimal(deduction),
            ),
        )

    communities = {}
    for name in {place.region for place in PLACES}:
        names = random.Random(f"scale-communities-{name}").sample(COMMUNITY_NAMES, COMMUNITIES_PER_REGION)
        communities[name] = (*names, *(f"Sector {n}" for n in range(1, SECTORS_PER_REGION + 1)))
    return Context(
        as_of=as_of,
        now=timezone.now(),
        regions={name: region.pk for name, region in regions.items()},
        standards=standards,
        manager=staff[StaffRole.Role.MANAGER],
        credit_officer=staff[StaffRole.Role.CREDIT_OFFICER],
        ics_coordinator=staff[StaffRole.Role.ICS_COORDINATOR],
        technicians=technicians,
        programs=programs,
        items=items,
        products=products,
        communities=communities,
    )
