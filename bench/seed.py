"""A Peru-sized dataset for benchmarks, written in bulk: `seed_scale(members=N)` (command `seed_scale`).

On top of the reference data the migrations seed (regions, standards, checklists) it writes staff users
(usernames starting with ``scale-``), partners with their alliance programs, the input catalogue and credit
products (shared with the demo: found by name), then N members with everything they own: about 1.4 farms
each (sizes as in DOMAIN.md), five technician visits per farm over the last three years with some pest
observations, EUDR land-use declarations, certifications with their event logs (and the sanctions behind
a sanctioned or suspended status), program enrolments, about 0.5 loans per member with their lines,
schedule and ledger, and this season's deliveries of a quarter of the farms, most of them settled.

How it is written, and why:
- Members are numbered S-00000001, S-00000002, ... and every member's records are drawn from the member's
  own generator, random.Random(seed * 2**40 + number), so the data depends neither on the chunk size nor
  on how the members were split between runs. A run continues after the highest S- code: it only adds.
- Records are generated and written per chunk of CHUNK_MEMBERS members, each chunk in one transaction,
  so memory stays bounded and a failure leaves no half chunk. PostgreSQL gets COPY from an in-memory CSV
  buffer per table; other databases (SQLite in the tests) get bulk_create.
- Primary keys of rows that others point to are reserved in blocks from the table's sequence (nextval
  over generate_series), so children are generated with their parents' ids without a round trip.
- Columns come from the models' concrete fields: what is not generated gets the field's default, and
  created_at/updated_at the run's start time.
- Not through the services (they would take days at this scale), but as they would leave the records:
  a certification's status, stage and certificate match its events (certifications.services), loans copy
  their product's terms, schedules come from credit.schedule.generate_schedule and repayments are split
  like credit.services.loan_repay, never above what is outstanding.
- No django-simple-history rows are written for the bulk data: its history starts empty.
"""

import bisect
import csv
import datetime
import io
import itertools
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from certifications.models import TERMINAL_STATUSES, Certification, CertificationEvent, Sanction, Standard
from cooperative.figures_cache import bump_data_version
from cooperative.models import AllianceProgram, Partner, ProgramEnrollment, Region, StaffRole
from cooperative.services import staff_role_grant
from credit import schedule
from credit.models import (
    CreditProduct,
    InputItem,
    Instalment,
    InterestMethod,
    Loan,
    LoanLine,
    LoanStatus,
    LoanTransaction,
    RepaymentMode,
    TransactionKind,
)
from deliveries.models import ESTIMATE_STATE, DeductionKind, Delivery, ProductState, Settlement, SettlementDeduction
from demo.deliveries import ASSOCIATION_FEE, OTHER_STATE, PRICES, SEASON_DAYS
from members.eudr import AREA_TOLERANCE
from members.geometry import area_difference_share, geodesic_area_ha
from members.models import (
    Farm,
    FarmDeforestationDeclaration,
    FarmVisit,
    LandUse2020,
    Member,
    Practice,
    VisitPestObservation,
)

MIN_MEMBERS, MAX_MEMBERS = 1, 1_000_000
CHUNK_MEMBERS = 5_000
ID_BLOCK = 20_000
SQLITE_BATCH = 500
USER_PREFIX = "scale-"
CODE_PREFIX = "S-"
CODE_DIGITS = 8
# The demo draws its DNIs from 10,000,000-47,999,999: these start well above, one per member number.
DNI_BASE = 70_000_000
HISTORY_YEARS = 3
# The latest UTZ certificate drawn starts by the end of 2021: all of them ended before the RA 2020 transition
# did (1 Jul 2023), as DOMAIN.md requires of UTZ history.
UTZ_LAST_VALID_FROM = datetime.date(2021, 12, 31)
ORGANIC_MAX_HECTARES = Decimal("5")  # EU 2018/848 group of operators: members farm at most 5 ha
BOUNDARY_FROM_HECTARES = Decimal("4")  # EUDR: a plot over 4 ha needs a polygon
DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")


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
VARIETIES = {
    "coffee": ("Typica, Caturra", "Bourbon, Typica", "Catimor", "Caturra, Catuaí", "Geisha, Typica", "Pache, Caturra",
               "Marsellesa", "Costa Rica 95"),
    "cocoa": ("CCN-51", "Criollo, Trinitario", "ICS-95, CCN-51", "Trinitario", "Chuncho", "ICS-39, ICS-95"),
}  # fmt: skip
PESTS = {
    "coffee": ("leaf_rust", "leaf_rust", "berry_borer", "american_leaf_spot"),
    "cocoa": ("frosty_pod_rot", "frosty_pod_rot", "witches_broom", "black_pod"),
}
POD_BORER_REGION = "Huánuco"  # Carmenta foraseminis ("mazorquero") is a Huánuco pest
PRACTICES = tuple(Practice.values)
VISIT_PURPOSES = (
    *["follow_up"] * 8,
    *["training"] * 4,
    *["diagnosis"] * 3,
    *["certification_prep"] * 3,
    *["credit_follow_up"] * 2,
)
RECOMMENDATIONS = (
    "Podar, aplicar compost y regular la sombra antes de las lluvias.",
    "Renovar los cafetos de más de 15 años con variedades tolerantes a la roya.",
    "Recoger los frutos caídos y colocar trampas para broca.",
    "Retirar las mazorcas enfermas cada semana y enterrarlas.",
    "Construir zanjas de infiltración en la parte alta de la parcela.",
    "Fermentar en cajón 5 a 6 días y secar en tendal, no sobre el suelo.",
    "Llevar el registro de insumos y cosecha al día para la inspección interna.",
    "Sembrar barreras vivas en el lindero con el vecino convencional.",
)
WITHDRAWAL_REASONS = (
    "Vendió la parcela.",
    "Se mudó a la ciudad.",
    "Fallecimiento; la familia no continúa.",
    "Entrega su producción a otro acopiador.",
    "Renuncia voluntaria.",
)
EVIDENCE_NOTES = (
    "Imágenes satelitales de 2020 revisadas con el técnico: cafetal bajo sombra.",
    "Constancia de posesión y declaración de los vecinos colindantes.",
    "Fotografías de la parcela de 2019 y registro de la cooperativa.",
    "Revisión en Global Forest Watch sin pérdida de bosque desde 2020.",
)
LAND_USES = (
    *[LandUse2020.COFFEE_COCOA_AGROFORESTRY] * 85,
    *[LandUse2020.OTHER_AGRICULTURE] * 7,
    *[LandUse2020.PASTURE] * 3,
    *[LandUse2020.FOREST] * 3,
    *[LandUse2020.OTHER] * 2,
)

# Event reasons, as the committee writes them (data, in Spanish like the rest of the records).
REASON_OPENED = "Inscripción en el registro de productores del SCI"
REASON_STAGE = "Decisión del comité de aprobación tras la inspección interna"
REASON_CERTIFIED = "Auditoría externa aprobada"
REASON_DROPPED = "El productor desistió del proceso de certificación"
REASON_UTZ = "Certificado UTZ del grupo (histórico)"
REASON_EXPIRED = "Vigencia terminada"
REASON_SANCTION = "No conformidad mayor sin corregir en el plazo acordado."
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
ENROLMENT_SHARE = 0.45
DELIVERING_SHARE = 0.25  # farms delivering in the current season (as the demo's deliveries)

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
TERM_FIELDS = (
    "interest_method",
    "annual_rate",
    "repayment_mode",
    "number_of_repayments",
    "grace_periods",
    "max_deduction_percent",
    "arrears_tolerance",
    "allocation_order",
)


# -- writing ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _json_of_tuple(value: tuple) -> str:
    return json.dumps(list(value))


def _json_text(value: Any) -> str | None:
    """A JSON column's text for COPY. Lists are generated as tuples, so the few distinct ones are cached."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return _json_of_tuple(value)
    return json.dumps(value)


class Table:
    """A model's rows of the current chunk, then written with COPY (PostgreSQL) or bulk_create.

    `fields` are the attnames a generated row gives, in order; every other concrete field (the primary key
    excepted) gets its default, or `now` for auto_now/auto_now_add timestamps. JSON values may be tuples.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, now: datetime.datetime) -> None:
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        given = [by_attname[name] for name in fields]
        rest = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
        self.tail = tuple(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in rest
        )
        self.fields = given + rest
        self.json_positions = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.written = 0
        self.rows: list[tuple] = []
        self.add: Callable[[tuple], None] = self.rows.append

    def flush(self) -> int:
        """Write the chunk's rows and forget them; return how many there were. Call inside a transaction."""
        rows, count = self.rows, len(self.rows)
        if count:
            if connection.vendor == "postgresql":
                self._copy(rows)
            else:
                self._bulk_create(rows)
        self.written += count
        rows.clear()
        return count

    def _full_rows(self, rows: list[tuple], json: Callable[[Any], Any]):
        tail, positions = self.tail, self.json_positions
        for row in rows:
            values = row + tail
            if positions:
                values = list(values)
                for position in positions:
                    values[position] = json(values[position])
            yield values

    def _copy(self, rows: list[tuple]) -> None:
        buffer = io.StringIO()
        # COPY's CSV reads an unquoted empty value as NULL, except in FORCE_NOT_NULL columns (the non-null ones).
        csv.writer(buffer, lineterminator="\n").writerows(self._full_rows(rows, _json_text))
        buffer.seek(0)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        not_null = ", ".join(quote(f.column) for f in self.fields if not f.null)
        options = "FORMAT csv" + (f", FORCE_NOT_NULL ({not_null})" if not_null else "")
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)

    def _bulk_create(self, rows: list[tuple]) -> None:
        names = [f.attname for f in self.fields]
        objects = [
            self.model(**dict(zip(names, values, strict=True)))
            for values in self._full_rows(rows, lambda value: list(value) if isinstance(value, tuple) else value)
        ]
        self.model.objects.bulk_create(objects, batch_size=SQLITE_BATCH)


class Ids:
    """Primary keys handed out before the rows are written. PostgreSQL: reserved from the table's sequence in
    blocks (nextval), so concurrent writers never collide. Elsewhere: counted on from the highest id."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self._ids = iter(())
        self._next: int | None = None

    def take(self) -> int:
        pk = next(self._ids, None)
        if pk is None:
            self._ids = iter(self._reserve(ID_BLOCK))
            pk = next(self._ids)
        return pk

    def _reserve(self, count: int) -> list[int] | range:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, self.model._meta.pk.column, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
        if self._next is None:
            self._next = (self.model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        start, self._next = self._next, self._next + count
        return range(start, start + count)


# -- reference data ---------------------------------------------------------------------------------------


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
def _context(as_of: datetime.date) -> Context:
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


# -- generation -------------------------------------------------------------------------------------------

# What each table's generated rows give, in order (every other column gets its default).
TABLE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Member: (
        "id", "code", "first_names", "last_names", "dni", "gender", "birth_date", "phone", "region_id", "district",
        "community", "joined_on", "status", "withdrawn_on", "withdrawal_reason", "consents_to_share", "consent_date",
    ),
    Farm: (
        "id", "member_id", "name", "region_id", "district", "community", "hectares", "crop", "varieties",
        "altitude_m", "latitude", "longitude", "boundary", "planted_year", "previous_crop", "crop_changed_on",
        "estimated_production_kg", "production_quantity", "production_unit", "status", "geometry_source",
        "geometry_recorded_by_id", "geometry_recorded_at", "boundary_area_ha", "area_flagged", "bbox_min_lon",
        "bbox_min_lat", "bbox_max_lon", "bbox_max_lat",
    ),
    FarmDeforestationDeclaration: ("farm_id", "land_use_2020", "evidence_note", "declared_by_id", "declared_on"),
    FarmVisit: (
        "id", "client_uuid", "farm_id", "technician_id", "visited_on", "purpose", "practices_observed",
        "estimated_yield_kg", "recommendations", "follow_up_on", "latitude", "longitude",
    ),
    VisitPestObservation: ("visit_id", "pest", "severity"),
    Certification: (
        "id", "farm_id", "standard_id", "status", "conversion_stage", "certificate_number", "certifier", "valid_from",
        "valid_until",
    ),
    CertificationEvent: (
        "id", "certification_id", "from_status", "to_status", "to_stage", "occurred_on", "reason", "decided_by_id",
    ),
    Sanction: ("certification_id", "kind", "starts_on", "reason", "decided_by_id", "event_id"),
    ProgramEnrollment: ("program_id", "member_id", "enrolled_on", "status"),
    Loan: (
        "id", "reference", "member_id", "product_id", "program_id", "status", "principal", "submitted_on",
        "submitted_by_id", "approved_on", "approved_by_id", "disbursed_on", "closed_on", *TERM_FIELDS,
        "oldest_unpaid_due_on",
    ),
    LoanLine: ("loan_id", "item_id", "quantity", "unit_price", "amount"),
    Instalment: ("loan_id", "number", "due_on", "principal_due", "interest_due"),
    LoanTransaction: (
        "loan_id", "kind", "occurred_on", "amount", "principal_portion", "interest_portion", "note", "recorded_by_id",
    ),
    Delivery: (
        "id", "reference", "member_id", "farm_id", "delivered_on", "crop", "product_state", "quantity", "unit",
        "quantity_kg", "moisture_percent", "yield_percent", "cup_score", "fermentation_percent", "price_per_kg",
        "gross_amount", "received_by_id",
    ),
    Settlement: ("id", "delivery_id", "paid_on", "gross_amount", "total_deductions", "net_paid", "settled_by_id"),
    SettlementDeduction: ("settlement_id", "kind", "amount"),
}  # fmt: skip
# Tables whose ids are handed out before writing, because other rows point to them.
KEYED = (Member, Farm, FarmVisit, Certification, CertificationEvent, Loan, Delivery, Settlement)
NO_TERMS = ("", None, "", None, None, None, None, "")
ZERO = Decimal("0.00")
CANDIDATE, IN_CONVERSION, CERTIFIED = "candidate", "in_conversion", "certified"
DROPPED = "dropped"  # a candidate who gave up: withdrawn


def _days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))


def _six(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _two(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _hectares(rng: random.Random) -> Decimal:
    """45% under 1 ha, 40% 1-3 ha, about 14% 3-10 ha, 0.7% over 10 ha (DOMAIN.md)."""
    draw = rng.random()
    if draw < 0.45:
        value = rng.uniform(0.10, 0.99)
    elif draw < 0.85:
        value = rng.uniform(1.00, 2.99)
    elif draw < 0.993:
        value = 3.00 + 6.99 * rng.random() ** 1.6
    else:
        value = 10.01 + 25.0 * rng.random() ** 2
    return Decimal(f"{value:.2f}")


def _square(lat: float, lon: float, hectares: float) -> dict:
    """A square plot of about `hectares` centred on the point; exterior ring counterclockwise (RFC 7946)."""
    half_side_m = math.sqrt(hectares * 10_000) / 2
    dlat = half_side_m / 111_320
    dlon = half_side_m / (111_320 * math.cos(math.radians(lat)))
    ring = [(lon - dlon, lat - dlat), (lon + dlon, lat - dlat), (lon + dlon, lat + dlat), (lon - dlon, lat + dlat)]
    ring = [[round(x, 6), round(y, 6)] for x, y in ring]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@dataclass
class History:
    """A certification's events as the services would have written them, and the row they leave."""

    events: list[tuple[str, str, str, datetime.date, str]]  # from, to, stage, date, reason
    number: str = ""
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    sanction: str = ""  # the Sanction.Kind behind event number `sanction_event`, if any
    sanction_event: int | None = None

    @property
    def status(self) -> str:
        return self.events[-1][1]

    @property
    def stage(self) -> str:
        return self.events[-1][2]

    @property
    def last_on(self) -> datetime.date:
        return self.events[-1][3]

    def add(self, to_status: str, on: datetime.date, reason: str, stage: str = "") -> None:
        self.events.append((self.status, to_status, stage, on, reason))


class Generator:
    """Draws the records of one member at a time into the tables (see the module docstring)."""

    def __init__(self, context: Context, seed: int, taken_dnis: frozenset[str] = frozenset()) -> None:
        self.c = context
        self.seed = seed
        self.taken_dnis = taken_dnis
        self.tables = {model: Table(model, fields, now=context.now) for model, fields in TABLE_FIELDS.items()}
        self.ids = {model: Ids(model) for model in KEYED}
        self.cumulative = list(itertools.accumulate(place.share for place in PLACES))
        self.other_crop = {
            (a.region, a.crop): b for a in PLACES for b in PLACES if a.region == b.region and a.crop != b.crop
        }
        self.history_start = context.as_of - datetime.timedelta(days=365 * HISTORY_YEARS)
        self.joined_from = datetime.date(2003, 1, 1)
        self.standard_ids = {code: standard.pk for code, standard in context.standards.items()}
        self.validity = {code: standard.validity_months for code, standard in context.standards.items()}

    def member(self, number: int) -> None:
        """Generate member number `number` and everything they own."""
        c, as_of = self.c, self.c.as_of
        rng = random.Random(self.seed * 2**40 + number)
        place = PLACES[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]
        member_id = self.ids[Member].take()
        code = f"{CODE_PREFIX}{number:0{CODE_DIGITS}d}"
        draw = rng.random()
        gender = "female" if draw < 0.31 else "other" if draw < 0.315 else "male"
        names = FIRST_NAMES["female" if gender == "female" else "male"]
        first_names = rng.choice(names) if rng.random() < 0.7 else f"{rng.choice(names)} {rng.choice(names)}"
        latest = as_of - datetime.timedelta(days=60)
        joined = self.joined_from + datetime.timedelta(days=int((latest - self.joined_from).days * rng.random() ** 0.6))
        birth = datetime.date(joined.year - rng.randint(20, 62), rng.randint(1, 12), rng.randint(1, 28))
        dni = f"{DNI_BASE + number:08d}" if rng.random() >= 0.03 else None
        if dni in self.taken_dnis:
            dni = None
        district_index = rng.randrange(len(place.districts))
        communities = c.communities[place.region]
        community = communities[(district_index * 7 + rng.randrange(9)) % len(communities)]
        draw = rng.random()
        status, withdrawn_on, reason = Member.Status.ACTIVE, None, ""
        if draw < 0.02 and (as_of - joined).days > 400:
            status = Member.Status.WITHDRAWN
            withdrawn_on = joined + _days(rng, 365, (as_of - joined).days)
            reason = rng.choice(WITHDRAWAL_REASONS)
        elif draw < 0.06:
            status = Member.Status.INACTIVE
        consents = rng.random() < 0.7
        consent_date = min(max(joined, datetime.date(2019, 6, 1)) + _days(rng, 0, 60), as_of) if consents else None
        self.tables[Member].add(
            (
                member_id, code, first_names, f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}", dni, gender,
                birth, f"9{rng.randrange(10**7, 10**8)}" if rng.random() < 0.85 else "", c.regions[place.region],
                place.districts[district_index], community, joined, status, withdrawn_on, reason, consents,
                consent_date,
            )
        )  # fmt: skip
        until = withdrawn_on - DAY if withdrawn_on else as_of
        farms = self._farms(rng, member_id, place, joined, until, district_index, community)
        organic_allowed = sum(farm[2] for farm in farms) <= ORGANIC_MAX_HECTARES
        for farm in farms:
            self._certifications(rng, farm, joined, until, organic_allowed, withdrawn_on, reason)
        enrolled = self._enrolments(rng, member_id, place, joined, until, status)
        if status == Member.Status.ACTIVE:
            draw = rng.random()
            for k in range(1, 1 + (0 if draw < 0.57 else 1 if draw < 0.9 else 2)):
                self._loan(rng, member_id, code, k, place.crop, joined, enrolled)
            self._deliveries(rng, member_id, code, farms, joined)

    # -- farms and visits ---------------------------------------------------------------------------------

    def _farms(self, rng, member_id, place, joined, until, district_index, community) -> list[tuple]:
        """Write the member's farms with their visits and declarations; return for each (id, crop, hectares,
        active, estimated production in kg)."""
        c, as_of = self.c, self.c.as_of
        draw = rng.random()
        count = 1 if draw < 0.65 else 2 if draw < 0.95 else 3
        technicians = c.technicians[place.region]
        communities = c.communities[place.region]
        farms = []
        for index in range(1, count + 1):
            farm_place = place
            if index > 1 and (place.region, place.crop) in self.other_crop and rng.random() < 0.08:
                farm_place = self.other_crop[(place.region, place.crop)]
            crop = farm_place.crop
            if index > 1 and rng.random() < 0.4:
                community = communities[(district_index * 7 + rng.randrange(9)) % len(communities)]
            farm_id = self.ids[Farm].take()
            hectares = _hectares(rng)
            lat = farm_place.centre[0] + rng.uniform(-PLACE_JITTER_DEGREES, PLACE_JITTER_DEGREES)
            lon = farm_place.centre[1] + rng.uniform(-PLACE_JITTER_DEGREES, PLACE_JITTER_DEGREES)
            technician = technicians[rng.randrange(len(technicians))]
            geometry = (None, "", None, None, None, False, None, None, None, None)
            if rng.random() < (0.7 if hectares > BOUNDARY_FROM_HECTARES else 0.02):
                factor = rng.uniform(0.85, 1.15) if rng.random() < 0.9 else rng.uniform(0.6, 1.5)
                boundary = _square(lat, lon, float(hectares) * factor)
                area = geodesic_area_ha(boundary)
                ring = boundary["coordinates"][0]
                recorded_on = max(joined, as_of - _days(rng, 0, 700))
                geometry = (
                    boundary,
                    rng.choice(Farm.GeometrySource.values),
                    technician,
                    datetime.datetime.combine(recorded_on, datetime.time(rng.randint(13, 22)), tzinfo=datetime.UTC),
                    area,
                    area_difference_share(area, hectares) > AREA_TOLERANCE,
                    ring[0][0],
                    ring[0][1],
                    ring[2][0],
                    ring[2][1],
                )
            point = geometry[0] is not None or rng.random() < 0.88
            planted_year = rng.randint(max(1985, joined.year - 15), as_of.year - 1)
            previous_crop, changed_on = "", None
            draw = rng.random()
            if crop == "cocoa" and draw < 0.12:
                previous_crop = "coca"
            elif draw < 0.05:
                previous_crop = "food_crops"
            elif draw < 0.07:
                previous_crop = "pasture"
            if previous_crop:
                changed_on = datetime.date(planted_year, rng.randint(1, 12), rng.randint(1, 28))
            production = quantity = None
            unit = Farm.ProductionUnit.KG
            if rng.random() < 0.96:
                kilograms = float(hectares) * (rng.uniform(450, 1000) if crop == "coffee" else rng.uniform(400, 900))
                if crop == "coffee" and rng.random() < 0.8:
                    unit = Farm.ProductionUnit.QUINTAL
                    quantity = Decimal(max(1, round(kilograms / 46))).quantize(CENT)
                    production = quantity * Farm.UNIT_KG[unit]
                else:
                    quantity = production = Decimal(f"{kilograms:.2f}")
            active = rng.random() >= 0.02
            self.tables[Farm].add(
                (
                    farm_id, member_id, f"Parcela {index}", c.regions[farm_place.region],
                    farm_place.districts[district_index % len(farm_place.districts)], community, hectares, crop,
                    rng.choice(VARIETIES[crop]), rng.randint(*farm_place.altitude), _six(lat) if point else None,
                    _six(lon) if point else None, geometry[0], planted_year, previous_crop, changed_on, production,
                    quantity, unit, Farm.Status.ACTIVE if active else Farm.Status.RETIRED, *geometry[1:],
                )
            )  # fmt: skip
            if active and rng.random() < 0.4:
                self.tables[FarmDeforestationDeclaration].add(
                    (
                        farm_id,
                        rng.choice(LAND_USES),
                        rng.choice(EVIDENCE_NOTES),
                        c.ics_coordinator,
                        max(joined, until - _days(rng, 0, 500)),
                    )
                )
            self._visits(rng, farm_id, farm_place, technician, joined, until, active, production, lat, lon, point)
            farms.append((farm_id, crop, hectares, active, production))
        return farms

    def _visits(self, rng, farm_id, place, technician, joined, until, active, production, lat, lon, point) -> None:
        start = max(joined, self.history_start)
        span = (until - start).days
        if span < 0:
            return
        technicians = self.c.technicians[place.region]
        pests = PESTS[place.crop]
        if place.crop == "cocoa" and place.region == POD_BORER_REGION:
            pests += ("pod_borer",)
        visits, observations = self.tables[FarmVisit].add, self.tables[VisitPestObservation].add
        take = self.ids[FarmVisit].take
        for _visit in range(rng.randint(2, 8) if active else rng.randint(0, 2)):
            visit_id = take()
            visited_on = start + datetime.timedelta(days=rng.randint(0, span))
            estimate = None
            if production is not None and rng.random() < 0.6:
                estimate = Decimal(f"{float(production) * rng.uniform(0.8, 1.2):.2f}")
            at_farm = point and rng.random() < 0.7
            visits(
                (
                    visit_id,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    farm_id,
                    technician if rng.random() < 0.8 else technicians[rng.randrange(len(technicians))],
                    visited_on,
                    rng.choice(VISIT_PURPOSES),
                    tuple(sorted(rng.sample(PRACTICES, rng.randint(0, 3)))),
                    estimate,
                    rng.choice(RECOMMENDATIONS) if rng.random() < 0.7 else "",
                    visited_on + _days(rng, 15, 60) if rng.random() < 0.35 else None,
                    _six(lat + rng.uniform(-0.0004, 0.0004)) if at_farm else None,
                    _six(lon + rng.uniform(-0.0004, 0.0004)) if at_farm else None,
                )
            )
            if rng.random() < 0.35:
                for pest in dict.fromkeys(rng.choice(pests) for _ in range(rng.randint(1, 2))):
                    observations((visit_id, pest, rng.randint(0, 3)))

    # -- certifications -----------------------------------------------------------------------------------

    def _certifications(self, rng, farm, joined, until, organic_allowed, withdrawn_on, withdrawal_reason) -> None:
        farm_id, crop, _hectares, active, _production = farm
        draws = [rng.random() for _ in range(4)]
        if not active:
            return
        plan: list[tuple[str, str | int]] = []
        if crop == "coffee":
            organic = (0.38, 0.45, 0.50, 0.52)
            if draws[1] < 0.30:
                plan.append(("rainforest_alliance", CERTIFIED))
            elif draws[1] < 0.36:
                plan.append(("rainforest_alliance", CANDIDATE))
            if draws[2] < 0.25:
                plan.append(("cafe_practices", CERTIFIED))
            utz_share = 0.15
        else:
            organic = (0.18, 0.24, 0.27, 0.28)
            if draws[1] < 0.38:
                plan.append(("rainforest_alliance", CERTIFIED))
            elif draws[1] < 0.52:
                plan.append(("rainforest_alliance", CANDIDATE))
            utz_share = 0.20
        if organic_allowed and draws[0] < organic[3]:
            outcome = (
                CERTIFIED
                if draws[0] < organic[0]
                else rng.randint(1, 3)
                if draws[0] < organic[1]
                else CANDIDATE
                if draws[0] < organic[2]
                else DROPPED
            )
            plan.insert(0, ("organic", outcome))
        if draws[3] < utz_share:
            plan.append(("utz", "history"))
        for code, outcome in plan:
            if code == "utz":
                history = self._utz(rng, crop, joined)
            else:
                history = self._history(rng, code, crop, outcome, joined, until)
            if history is None:
                continue
            if withdrawn_on and history.status not in TERMINAL_STATUSES:
                # members.services.member_withdraw: every open certification is withdrawn with the member.
                reason = f"Socio retirado de la cooperativa: {withdrawal_reason}"
                history.add("withdrawn", max(withdrawn_on, history.last_on), reason)
            self._write_certification(farm_id, code, crop, history)

    def _write_certification(self, farm_id: int, code: str, crop: str, history: History) -> None:
        certification_id = self.ids[Certification].take()
        _prefix, body = CERTIFICATES[code]
        self.tables[Certification].add(
            (
                certification_id,
                farm_id,
                self.standard_ids[code],
                history.status,
                history.stage if history.status == IN_CONVERSION else "",
                history.number,
                body,
                history.valid_from,
                history.valid_until,
            )
        )
        events, take = self.tables[CertificationEvent].add, self.ids[CertificationEvent].take
        decided_by = self.c.ics_coordinator
        for index, (from_status, to_status, stage, on, reason) in enumerate(history.events):
            event_id = take()
            events((event_id, certification_id, from_status, to_status, stage, on, reason, decided_by))
            if index == history.sanction_event:
                # The committee's sanction, whose status change is this event (certifications.models.Sanction).
                self.tables[Sanction].add(
                    (certification_id, history.sanction, on, REASON_SANCTION, decided_by, event_id)
                )

    def _certificate(self, history: History, code: str, crop: str, valid_from: datetime.date) -> None:
        """The certified event with its certificate: valid_until defaults to the standard's validity."""
        prefix, _body = CERTIFICATES[code]
        history.number = f"{prefix}-{valid_from.year}" + ("-K" if crop == "cocoa" else "")
        history.valid_from = valid_from
        history.valid_until = schedule.add_months(valid_from, self.validity[code]) - DAY
        history.add(CERTIFIED, valid_from, REASON_CERTIFIED)

    def _history(self, rng, code: str, crop: str, outcome: str | int, joined, until) -> History | None:
        """A certification opened after the member joined, everything dated by `until`: candidate, in
        conversion (organic, stage 1-3), certified (organic after stage C3) or dropped (candidate withdrawn).
        A member who joined too recently for the outcome gets as far as the time allows."""
        stages: list[datetime.date] = []
        valid_from = None
        if outcome == CERTIFIED:
            window = 330 if self.validity[code] <= 12 else 1000
            valid_from = until - _days(rng, 0, window)
            if code == "organic":
                stages = self._stage_dates(rng, valid_from - _days(rng, 20, 150), 3)
                opened = stages[0] - _days(rng, 15, 150)
            else:
                opened = valid_from - _days(rng, 30, 300)
        elif isinstance(outcome, int):
            stages = self._stage_dates(rng, until - _days(rng, 0, 330), outcome)
            opened = stages[0] - _days(rng, 15, 150)
        else:
            opened = until - _days(rng, 0, 700)
        if opened <= joined:
            # Not enough time since joining: as far as the time allows, from a date after joining.
            opened = joined + _days(rng, 15, 120)
            if opened > until:
                return None
            if stages:
                first = opened + _days(rng, 30, 200)
                stages = [first + datetime.timedelta(days=365 * k) for k in range(len(stages))]
                stages = [on for on in stages if on <= until]
            valid_from = None
        history = History(events=[("", CANDIDATE, "", opened, REASON_OPENED)])
        for number, on in enumerate(stages, start=1):
            history.add(IN_CONVERSION, on, REASON_STAGE, stage=f"c{number}")
        if valid_from is not None:
            self._certificate(history, code, crop, valid_from)
            if rng.random() < 0.02:
                on = valid_from + _days(rng, 20, 400)
                if on <= until:
                    sanctioned = rng.random() < 0.6
                    history.add("sanctioned" if sanctioned else "suspended", on, REASON_SANCTION)
                    history.sanction = Sanction.Kind.SALES_BLOCK if sanctioned else Sanction.Kind.SUSPENSION
                    history.sanction_event = len(history.events) - 1
        elif outcome == DROPPED:
            on = opened + _days(rng, 30, 400)
            if on <= until:
                history.add("withdrawn", on, REASON_DROPPED)
        return history

    @staticmethod
    def _stage_dates(rng, last: datetime.date, count: int) -> list[datetime.date]:
        """Conversion stages C1..C<count>, a year apart, the last one on `last`."""
        dates = [last]
        for _stage in range(count - 1):
            dates.append(dates[-1] - _days(rng, 350, 380))
        return dates[::-1]

    def _utz(self, rng, crop: str, joined) -> History | None:
        """A past UTZ certificate imported as history (certification_import_history): certified, then expired."""
        start = max(joined, datetime.date(2014, 1, 1))
        if start > UTZ_LAST_VALID_FROM:
            return None
        valid_from = start + _days(rng, 0, (UTZ_LAST_VALID_FROM - start).days)
        valid_until = schedule.add_months(valid_from, self.validity["utz"]) - DAY
        history = History(
            events=[("", CERTIFIED, "", valid_from, REASON_UTZ)],
            number=f"UTZ-{'C' if crop == 'coffee' else 'K'}-{valid_from.year}",
            valid_from=valid_from,
            valid_until=valid_until,
        )
        history.add("expired", valid_until, REASON_EXPIRED)
        return history

    # -- programs and credit ------------------------------------------------------------------------------

    def _enrolments(self, rng, member_id, place, joined, until, status) -> list[int]:
        """Enrol the member in some of the programs covering their region and crop; return the active ones."""
        active = []
        for program_id, regions, crop, starts_on in self.c.programs:
            if place.region not in regions or crop != place.crop or rng.random() >= ENROLMENT_SHARE:
                continue
            enrolled_on = max(joined, starts_on) + _days(rng, 0, 240)
            if enrolled_on > until:
                continue
            # A withdrawal moves the member's active enrolments to withdrawn (members.services.member_withdraw).
            withdrawn = status == Member.Status.WITHDRAWN
            self.tables[ProgramEnrollment].add(
                (program_id, member_id, enrolled_on, ProgramEnrollment.Status.WITHDRAWN if withdrawn else "active")
            )
            if not withdrawn:
                active.append(program_id)
        return active

    def _loan(self, rng, member_id, code, k, crop, joined, programs) -> None:
        """One loan through its life as the credit services leave it: submitted, then for most approved (the
        product's terms copied) and disbursed (schedule and disbursement), with repayments of the instalments
        due; repaid loans are closed, a few written off."""
        c, as_of = self.c, self.c.as_of
        submitted = as_of - _days(rng, 5, 365 * HISTORY_YEARS)
        if submitted < joined + 30 * DAY:
            submitted = joined + _days(rng, 30, 90)
        if crop == "coffee":
            key = FERTILIZER if rng.random() < 0.75 else RENOVATION
        else:
            key = POST_HARVEST if rng.random() < 0.5 else FERTILIZER
        if key == FERTILIZER:
            lines = [("Guano de isla", rng.randint(4, 12)), ("Roca fosfórica", rng.randint(1, 4))]
            if rng.random() < 0.3:
                lines.append(("Abono orgánico compostado", rng.randint(5, 15)))
        elif key == RENOVATION:
            lines = [("Plantones de café injertados", rng.randint(10, 40)), ("Guano de isla", rng.randint(2, 6))]
        else:
            draw = rng.random()
            lines = [("Secador solar" if draw < 0.2 else "Cajón fermentador" if draw < 0.7 else "Tendal de secado", 1)]
        if submitted > as_of:
            return
        loan_id = self.ids[Loan].take()
        principal = ZERO
        for name, quantity in lines:
            item_id, price = c.items[name]
            amount = schedule.to_cents(quantity * price)
            principal += amount
            self.tables[LoanLine].add((loan_id, item_id, Decimal(quantity).quantize(CENT), price, amount))

        product = c.products[key]
        status, approved_on, disbursed_on, closed_on, terms = LoanStatus.SUBMITTED, None, None, None, NO_TERMS
        oldest_unpaid = None
        age = (as_of - submitted).days
        draw = rng.random()
        if age < 15 and draw < 0.5:
            pass  # waiting for approval
        elif draw < 0.03:
            status = LoanStatus.REJECTED
        elif draw < 0.04:
            status = LoanStatus.WITHDRAWN
        elif submitted + 5 * DAY <= as_of:
            status, approved_on = LoanStatus.APPROVED, submitted + _days(rng, 1, 5)
            terms = tuple(getattr(product, name) for name in TERM_FIELDS)
            if not (draw < 0.05 and age < 60) and approved_on + 7 * DAY <= as_of:
                disbursed_on = approved_on + _days(rng, 0, 7)
                status, closed_on, oldest_unpaid = self._disburse(rng, loan_id, product, principal, disbursed_on)
        program = programs[0] if programs and rng.random() < 0.5 else None
        self.tables[Loan].add(
            (
                loan_id, f"CR-{code}-{k}", member_id, product.pk, program, status, principal, submitted,
                c.credit_officer, approved_on, c.manager if approved_on else None, disbursed_on, closed_on, *terms,
                oldest_unpaid,
            )
        )  # fmt: skip

    def _disburse(
        self, rng, loan_id, product, principal, disbursed_on
    ) -> tuple[str, datetime.date | None, datetime.date | None]:
        """Schedule, disbursement and repayments of a disbursed loan; return its status, closing date and the due
        date of its oldest instalment unpaid beyond the arrears tolerance (None when all is paid)."""
        as_of, officer = self.c.as_of, self.c.credit_officer
        add = self.tables[LoanTransaction].add
        rows = schedule.generate_schedule(
            principal=principal,
            annual_rate=product.annual_rate,
            interest_method=product.interest_method,
            repayment_mode=product.repayment_mode,
            number_of_repayments=product.number_of_repayments,
            grace_periods=product.grace_periods,
            disbursed_on=disbursed_on,
        )
        for row in rows:
            self.tables[Instalment].add((loan_id, row.number, row.due_on, row.principal_due, row.interest_due))
        add((loan_id, TransactionKind.DISBURSEMENT, disbursed_on, principal, principal, ZERO, "", officer))

        bullet = product.repayment_mode == RepaymentMode.HARVEST_BULLET
        if bullet and rng.random() < 0.7:
            kind, note = TransactionKind.HARVEST_DEDUCTION, "Descuento de la liquidación de cosecha"
        else:
            kind, note = TransactionKind.REPAYMENT, "Pago en oficina"
        due = [row for row in rows if row.due_on < as_of]
        draw = rng.random()
        # Most members pay on time; a few pay part or nothing yet (they feed PAR). A loan long past its last
        # due date is either settled late or, for a few, written off.
        settled_long_ago = rows[-1].due_on < as_of - 365 * DAY
        write_off = draw >= 0.98 and rows[-1].due_on < as_of - 180 * DAY
        late = draw >= 0.93 and settled_long_ago and not write_off
        partial = 0.93 <= draw < 0.955 and not late
        if draw < 0.93 or late:
            paying = due
        elif partial:
            paying = due[: len(due) // 2]  # half, then part of the next one
        elif write_off:
            paying = due[: rng.randint(0, len(due) - 1)]
        else:
            paying = []
        principal_paid = interest_paid = ZERO
        last_on = disbursed_on
        for row in paying:
            # Whole instalments oldest first: the portions are the instalment's (what split_payment gives).
            delay = _days(rng, 30, 200) if late else _days(rng, -6, 8)
            last_on = min(max(last_on, row.due_on + delay), as_of)
            add((loan_id, kind, last_on, row.total_due, row.principal_due, row.interest_due, note, officer))
            principal_paid += row.principal_due
            interest_paid += row.interest_due
        if partial and len(paying) < len(due):
            row = due[len(paying)]
            amount = schedule.to_cents(row.total_due * rng.randint(30, 80) / 100)
            allocation = schedule.allocate_paid(rows, principal_paid=principal_paid, interest_paid=interest_paid)
            portions = schedule.split_payment(
                allocation, amount, schedule.parse_allocation_order(product.allocation_order)
            )
            last_on = min(max(last_on, row.due_on + _days(rng, 0, 20)), as_of)
            add((loan_id, kind, last_on, amount, portions.principal, portions.interest, note, officer))
            principal_paid += portions.principal
            interest_paid += portions.interest
        interest = sum((row.interest_due for row in rows), ZERO)
        if write_off:
            on = min(max(last_on, rows[-1].due_on + _days(rng, 120, 240)), as_of)
            principal_left, interest_left = principal - principal_paid, interest - interest_paid
            add(
                (
                    loan_id,
                    TransactionKind.WRITE_OFF,
                    on,
                    principal_left + interest_left,
                    principal_left,
                    interest_left,
                    "Incobrable: sin cosecha dos campañas seguidas",
                    officer,
                )
            )
            return LoanStatus.WRITTEN_OFF, None, None
        if principal_paid + interest_paid == principal + interest:
            return LoanStatus.CLOSED, last_on, None  # loan_repay closes a loan with nothing left outstanding
        allocation = schedule.allocate_paid(rows, principal_paid=principal_paid, interest_paid=interest_paid)
        oldest = next((paid.due_on for paid in allocation if paid.total_unpaid > product.arrears_tolerance), None)
        return LoanStatus.ACTIVE, None, oldest

    # -- deliveries ---------------------------------------------------------------------------------------

    def _deliveries(self, rng, member_id, code, farms, joined) -> None:
        """This season's deliveries of some active farms with an estimate (as demo.deliveries draws them): most
        in the state the estimate counts, typed in quintals for dry parchment, four in five settled a few days
        later with the association fee. Settled without credit deductions (delivery_settle's apply_credit=False),
        so the loan ledger stays as _disburse wrote it."""
        as_of, officer = self.c.as_of, self.c.credit_officer
        number = 0
        for farm_id, crop, _hectares, active, production in farms:
            if not active or not production or rng.random() >= DELIVERING_SHARE:
                continue
            for _delivery in range(1 if rng.random() < 0.6 else 2):
                state = ESTIMATE_STATE[crop] if rng.random() < 0.85 else OTHER_STATE[crop]
                kilograms = production * Decimal(0.1 + 0.3 * rng.random())
                unit = Farm.ProductionUnit.QUINTAL if state == ProductState.DRY_PARCHMENT else Farm.ProductionUnit.KG
                quantity = (kilograms / Farm.UNIT_KG[unit]).quantize(CENT)
                delivered_on = as_of - _days(rng, 7, SEASON_DAYS)
                low, high = (Decimal(price) for price in PRICES[state])
                price = schedule.to_cents(low + (high - low) * Decimal(rng.random()))
                quantity_kg = quantity * Farm.UNIT_KG[unit]
                gross = schedule.to_cents(quantity_kg * price)
                if delivered_on < joined or gross <= 0:
                    continue
                # Quality: moisture for both, yield and cup score for coffee, the cut test's fermentation for cocoa.
                if crop == "coffee":
                    moisture, fermentation = rng.uniform(10.5, 12.5), None
                    yield_percent = _two(rng.uniform(76, 84)) if rng.random() < 0.5 else None
                    cup_score = _two(rng.uniform(80, 87)) if rng.random() < 0.2 else None
                else:
                    moisture, fermentation = rng.uniform(6.5, 7.8), _two(rng.uniform(65, 92))
                    yield_percent = cup_score = None
                number += 1
                delivery_id = self.ids[Delivery].take()
                self.tables[Delivery].add(
                    (
                        delivery_id, f"EN-{code}-{number}", member_id, farm_id, delivered_on, crop, state, quantity,
                        unit, quantity_kg, _two(moisture), yield_percent, cup_score, fermentation, price, gross,
                        officer,
                    )
                )  # fmt: skip
                if rng.random() >= 0.8:
                    continue  # not paid yet
                paid_on = min(delivered_on + _days(rng, 0, 6), as_of)
                fee = ASSOCIATION_FEE if gross > 50 else ZERO
                settlement_id = self.ids[Settlement].take()
                self.tables[Settlement].add((settlement_id, delivery_id, paid_on, gross, fee, gross - fee, officer))
                if fee:
                    self.tables[SettlementDeduction].add((settlement_id, DeductionKind.ASSOCIATION_FEE, fee))


# -- the run ----------------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    first_code: str
    last_code: str
    rows: dict[type[models.Model], int]
    seconds: float


def check_member_count(members: int) -> None:
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        message = _("The number of members must be between %(low)s and %(high)s.")
        raise ValueError(message % {"low": MIN_MEMBERS, "high": f"{MAX_MEMBERS:,}"})


def _next_number() -> int:
    """One above the highest member number written by earlier runs (codes S-<8 digits>)."""
    top = Member.objects.filter(code__regex=rf"^{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}$").aggregate(top=Max("code"))["top"]
    return int(top.removeprefix(CODE_PREFIX)) + 1 if top else 1


def _taken_dnis(first: int, last: int) -> frozenset[str]:
    """DNIs in this run's range that members not made by seed_scale already hold (those members win)."""
    members = Member.objects.filter(dni__gte=f"{DNI_BASE + first:08d}", dni__lte=f"{DNI_BASE + last:08d}")
    members = members.exclude(code__regex=rf"^{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}$")
    return frozenset(members.values_list("dni", flat=True))


def _finish(tables: Sequence[Table]) -> None:
    """PostgreSQL: sequences past the highest id (ids were reserved from them, this is a safety net), and
    fresh planner statistics for the tables written."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            meta = table.model._meta
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(
                    f"SELECT setval(%s, top) FROM (SELECT MAX({quote(meta.pk.column)}) AS top "
                    f"FROM {quote(meta.db_table)}) AS highest WHERE top > (SELECT last_value FROM {sequence})",
                    [sequence],
                )
            cursor.execute(f"ANALYZE {quote(meta.db_table)}")


def seed_scale(
    *,
    members: int,
    seed: int = 1,
    as_of: datetime.date | None = None,
    progress: bool = True,
    progress_file: IO[str] | None = None,
    chunk_size: int = CHUNK_MEMBERS,
) -> SeedReport:
    """Add `members` members with everything they own (module docstring), numbered after the highest S- code.

    Deterministic for a given seed and first member number (and `as_of`, today by default). Creates the
    staff users, programs and credit products it needs on the first run. Writes one transaction per chunk
    of `chunk_size` members; a failure rolls back that chunk only. Raises ValueError for a count outside
    1-1,000,000 or missing reference data.
    """
    check_member_count(members)
    if seed < 0:
        raise ValueError(_("The seed cannot be negative."))
    started = time.monotonic()
    context = _context(as_of or timezone.localdate())
    first = _next_number()
    last = first + members - 1
    if last >= 10**CODE_DIGITS or DNI_BASE + last > 99_999_999:
        raise ValueError(_("No member numbers left for %(count)s more members.") % {"count": members})
    generator = Generator(context, seed, _taken_dnis(first, last))
    with tqdm(total=members, unit="socios", file=progress_file, disable=not progress) as bar:
        for start in range(first, last + 1, chunk_size):
            stop = min(start + chunk_size, last + 1)
            for number in range(start, stop):
                generator.member(number)
            with transaction.atomic():
                for table in generator.tables.values():
                    table.flush()
                # The figures cache notices writes sent through Django's execute wrappers; COPY bypasses them.
                transaction.on_commit(bump_data_version)
            bar.update(stop - start)
    _finish(list(generator.tables.values()))
    return SeedReport(
        first_code=f"{CODE_PREFIX}{first:0{CODE_DIGITS}d}",
        last_code=f"{CODE_PREFIX}{last:0{CODE_DIGITS}d}",
        rows={model: table.written for model, table in generator.tables.items()},
        seconds=time.monotonic() - started,
    )
