"""The generator: one member at a time, drawn from the member's own seeded generator, into the tables of the
chunk. The member row and the program enrolments are drawn here; farms, certifications, loans and deliveries
by the parts it is made of (bench.seeding.farms, .certifications, .credit, .deliveries)."""

import bisect
import datetime
import itertools
import random
from decimal import Decimal

from django.db import models

from bench.seeding.certifications import CertificationRows
from bench.seeding.credit import TERM_FIELDS, CreditRows
from bench.seeding.deliveries import DeliveryRows
from bench.seeding.draws import DAY, HISTORY_YEARS, random_days
from bench.seeding.farms import FarmRows
from bench.seeding.reference import FIRST_NAMES, LAST_NAMES, PLACES, Context
from bench.seeding.tables import Ids, Table
from certifications.models import Certification, CertificationEvent, Sanction
from cooperative.models import ProgramEnrollment
from credit.models import Instalment, Loan, LoanLine, LoanTransaction
from deliveries.models import Delivery, Settlement, SettlementDeduction
from members.models import Farm, FarmDeforestationDeclaration, FarmVisit, Member, VisitPestObservation

CODE_PREFIX = "S-"
CODE_DIGITS = 8
# The demo draws its DNIs from 10,000,000-47,999,999: these start well above, one per member number.
DNI_BASE = 70_000_000
ORGANIC_MAX_HECTARES = Decimal("5")  # EU 2018/848 group of operators: members farm at most 5 ha
WITHDRAWAL_REASONS = (
    "Vendió la parcela.",
    "Se mudó a la ciudad.",
    "Fallecimiento; la familia no continúa.",
    "Entrega su producción a otro acopiador.",
    "Renuncia voluntaria.",
)
ENROLMENT_SHARE = 0.45

# What each table's generated rows give, in order (every other column gets its default).
TABLE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Member: (
        "id", "code", "first_names", "last_names", "dni", "gender", "birth_date", "phone", "region_id", "district",
        "community", "joined_on", "status", "withdrawn_on", "withdrawal_reason", "consents_to_share", "consent_date",
        "active_hectares",
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
        "valid_until", "is_current",
    ),
    CertificationEvent: (
        "id", "certification_id", "from_status", "to_status", "to_stage", "occurred_on", "reason", "decided_by_id",
    ),
    Sanction: ("certification_id", "kind", "starts_on", "reason", "decided_by_id", "event_id"),
    ProgramEnrollment: ("program_id", "member_id", "enrolled_on", "status"),
    Loan: (
        "id", "reference", "member_id", "product_id", "program_id", "status", "principal", "submitted_on",
        "submitted_by_id", "approved_on", "approved_by_id", "disbursed_on", "closed_on", *TERM_FIELDS,
        "oldest_unpaid_due_on", "outstanding_principal", "outstanding_interest", "outstanding_fees",
        "outstanding_penalties", "outstanding_total",
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


class Generator(FarmRows, CertificationRows, CreditRows, DeliveryRows):
    """Draws the records of one member at a time into the tables (see the bench.seeding docstring)."""

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
            withdrawn_on = joined + random_days(rng, 365, (as_of - joined).days)
            reason = rng.choice(WITHDRAWAL_REASONS)
        elif draw < 0.06:
            status = Member.Status.INACTIVE
        consents = rng.random() < 0.7
        consent_date = (
            min(max(joined, datetime.date(2019, 6, 1)) + random_days(rng, 0, 60), as_of) if consents else None
        )
        member_row = (
            member_id, code, first_names, f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}", dni, gender,
            birth, f"9{rng.randrange(10**7, 10**8)}" if rng.random() < 0.85 else "", c.regions[place.region],
            place.districts[district_index], community, joined, status, withdrawn_on, reason, consents,
            consent_date,
        )  # fmt: skip
        until = withdrawn_on - DAY if withdrawn_on else as_of
        farms = self._farms(rng, member_id, place, joined, until, district_index, community)
        # Member.active_hectares, as members.read_models keeps it: the hectares of the active farms.
        self.tables[Member].add((*member_row, sum((farm[2] for farm in farms if farm[3]), Decimal("0"))))
        organic_allowed = sum(farm[2] for farm in farms) <= ORGANIC_MAX_HECTARES
        for farm in farms:
            self._certifications(rng, farm, joined, until, organic_allowed, withdrawn_on, reason)
        enrolled = self._enrolments(rng, member_id, place, joined, until, status)
        if status == Member.Status.ACTIVE:
            draw = rng.random()
            for k in range(1, 1 + (0 if draw < 0.57 else 1 if draw < 0.9 else 2)):
                self._loan(rng, member_id, code, k, place.crop, joined, enrolled)
            self._deliveries(rng, member_id, code, farms, joined)

    def _enrolments(self, rng, member_id, place, joined, until, status) -> list[int]:
        """Enrol the member in some of the programs covering their region and crop; return the active ones."""
        active = []
        for program_id, regions, crop, starts_on in self.c.programs:
            if place.region not in regions or crop != place.crop or rng.random() >= ENROLMENT_SHARE:
                continue
            enrolled_on = max(joined, starts_on) + random_days(rng, 0, 240)
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
