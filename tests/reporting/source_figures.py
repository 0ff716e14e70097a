"""The figures of the dashboard, the summary report, program progress, the credit portfolio and EUDR readiness,
recomputed in plain Python from the source rows (members, farms, certification events, the loan ledger, charges
and schedules, enrolments, geometry and declarations), for tests/reporting/test_figures_match_source_rows.py.

Deliberately independent of how the application computes them (SQL aggregates, stored read models, caches): it
loads every row with a handful of plain queries and applies the rules as the docstrings state them:
- members, farms: reporting.selectors.dashboard_figures;
- the current certification of a farm under a standard: the open one, else the closed one whose latest event is
  the latest, ties to the latest created (certifications.selectors.certifications);
- balances: the ledger, a reducing row that was reversed (by then) counts zero, charges likewise, interest is the
  schedule's (credit.selectors.balances); days past due: the oldest schedule row (an instalment with the charges
  owed with it, or charges due after the last instalment) unpaid beyond the arrears tolerance, each component
  paid oldest row first (credit.schedule, credit.selectors.arrears); late = more than N days; PAR<N> = principal
  outstanding of the late loans / principal outstanding of all of them, 4 places (credit.selectors.portfolio);
- EUDR: members.eudr.status and members.eudr.readiness;
- program progress: reporting.programs.
Nothing here imports the application's selectors, schedule arithmetic or read models.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from certifications.models import Certification, CertificationEvent, Standard
from cooperative.models import AllianceProgram, CommunityProject, ProgramEnrollment, Region
from credit.models import Instalment, Loan, LoanCharge, LoanTransaction
from members.models import Farm, FarmDeforestationDeclaration, FarmOverlap, FarmVisit, Member

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")

# The rules' constants, written out here rather than imported.
CLOSED_CERTIFICATION_STATUSES = {"excluded", "withdrawn", "expired"}
HOLDING_CERTIFICATE = {"certified", "sanctioned", "suspended"}
STATUS_ORDER = [
    "candidate",
    "in_conversion",
    "certified",
    "sanctioned",
    "suspended",
    "excluded",
    "withdrawn",
    "expired",
]
REDUCING_KINDS = {"repayment", "harvest_deduction", "waiver", "write_off"}
COMPONENTS = ("penalty", "fee", "interest", "principal")
CROPS = ("coffee", "cocoa")
GENDERS = ("female", "male", "other")
VISIT_PURPOSES = ("diagnosis", "follow_up", "training", "certification_prep", "credit_follow_up")
PAR_DAYS = (1, 30, 90)
EXPIRING_WITHIN_DAYS = 60
EXPIRING_LISTED = 10
VISITS_WITHIN_DAYS = 30
POINT_MAX_HECTARES = Decimal("4")
AREA_TOLERANCE = Decimal("0.20")
PARTNER_VISIBLE_ENROLMENTS = {"active", "completed"}


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO, rounding=ROUND_HALF_UP)


@dataclass
class Source:
    """Every row the figures derive from, loaded afresh (one plain query per table)."""

    regions: dict[int, Region]
    standards: dict[int, Standard]
    members: dict[int, Member]
    farms: dict[int, Farm]
    certifications: list[Certification]
    last_event_on: dict[int, datetime.date | None]
    loans: list[Loan]
    instalments: dict[int, list[Instalment]]
    transactions: dict[int, list[LoanTransaction]]
    charges: dict[int, list[LoanCharge]]
    programs: dict[int, AllianceProgram]
    program_regions: dict[int, set[int]]
    program_standards: dict[int, set[int]]
    enrolments: list[ProgramEnrollment]
    projects: list[CommunityProject]
    overlaps: list[FarmOverlap]
    declarations: dict[int, FarmDeforestationDeclaration]
    visits: list[FarmVisit]

    @classmethod
    def load(cls) -> "Source":
        last_event_on: dict[int, datetime.date | None] = {}
        for event in CertificationEvent.objects.order_by():
            held = last_event_on.get(event.certification_id)
            if held is None or event.occurred_on > held:
                last_event_on[event.certification_id] = event.occurred_on
        instalments, transactions, charges = defaultdict(list), defaultdict(list), defaultdict(list)
        for row in Instalment.objects.order_by():
            instalments[row.loan_id].append(row)
        for row in LoanTransaction.objects.order_by():
            transactions[row.loan_id].append(row)
        for row in LoanCharge.objects.order_by():
            charges[row.loan_id].append(row)
        program_regions, program_standards = defaultdict(set), defaultdict(set)
        for link in AllianceProgram.regions.through.objects.all():
            program_regions[link.allianceprogram_id].add(link.region_id)
        for link in AllianceProgram.standards.through.objects.all():
            program_standards[link.allianceprogram_id].add(link.standard_id)
        return cls(
            regions={row.pk: row for row in Region.objects.order_by()},
            standards={row.pk: row for row in Standard.objects.order_by()},
            members={row.pk: row for row in Member.objects.order_by()},
            farms={row.pk: row for row in Farm.objects.order_by()},
            certifications=list(Certification.objects.order_by()),
            last_event_on=last_event_on,
            loans=list(Loan.objects.select_related("product").order_by()),
            instalments=instalments,
            transactions=transactions,
            charges=charges,
            programs={row.pk: row for row in AllianceProgram.objects.select_related("partner").order_by()},
            program_regions=program_regions,
            program_standards=program_standards,
            enrolments=list(ProgramEnrollment.objects.order_by()),
            projects=list(CommunityProject.objects.order_by()),
            overlaps=list(FarmOverlap.objects.order_by()),
            declarations={row.farm_id: row for row in FarmDeforestationDeclaration.objects.order_by()},
            visits=list(FarmVisit.objects.order_by()),
        )

    # -- populations ---------------------------------------------------------------------------------------

    def population(self, region_ids: set[int], member_ids: set[int] | None = None) -> set[int]:
        """Members of the regions (any status) and, with `member_ids`, among them."""
        return {
            pk
            for pk, member in self.members.items()
            if member.region_id in region_ids and (member_ids is None or pk in member_ids)
        }

    def partner_members(self, partner_id: int) -> set[int]:
        """Members with an active or completed enrolment in one of the partner's programs."""
        return {
            enrolment.member_id
            for enrolment in self.enrolments
            if enrolment.status in PARTNER_VISIBLE_ENROLMENTS
            and self.programs[enrolment.program_id].partner_id == partner_id
        }

    def programs_in_scope(self, region_ids: set[int]) -> set[int]:
        return {pk for pk, regions in self.program_regions.items() if regions & region_ids}

    def partner_programs(self, partner_id: int) -> set[int]:
        return {pk for pk, program in self.programs.items() if program.partner_id == partner_id}

    # -- members and farms ------------------------------------------------------------------------------------

    def members_figures(self, population: set[int]) -> dict:
        active = [self.members[pk] for pk in population if self.members[pk].status == "active"]
        by_region: dict[str, int] = defaultdict(int)
        by_gender: dict[str, int] = defaultdict(int)
        for member in active:
            by_region[self.regions[member.region_id].name] += 1
            by_gender[member.gender] += 1
        crops = []
        active_ids = {member.pk for member in active}
        for crop in CROPS:
            farms = [
                farm
                for farm in self.farms.values()
                if farm.status == "active" and farm.crop == crop and farm.member_id in active_ids
            ]
            production = sum(
                (farm.estimated_production_kg for farm in farms if farm.estimated_production_kg is not None), ZERO
            )
            crops.append(
                {
                    "crop": crop,
                    "members": len({farm.member_id for farm in farms}),
                    "farms": len(farms),
                    "hectares": cents(sum((farm.hectares for farm in farms), ZERO)),
                    "production_kg": cents(production),
                    "production_quintales": cents(production / Decimal("46")),
                    "production_export_bags": cents(production / Decimal("69")),
                }
            )
        return {
            "members_by_region": sorted(by_region.items()),
            "members_by_gender": [(gender, by_gender[gender]) for gender in GENDERS],
            "crops": crops,
        }

    # -- certifications ---------------------------------------------------------------------------------------

    def current_certifications(self) -> dict[tuple[int, int], Certification]:
        """The current certification of each farm under each standard."""
        current: dict[tuple[int, int], Certification] = {}
        for certification in self.certifications:
            key = (certification.farm_id, certification.standard_id)
            held = current.get(key)
            if held is None or self._more_current(certification, held):
                current[key] = certification
        return current

    def _more_current(self, candidate: Certification, held: Certification) -> bool:
        candidate_open = candidate.status not in CLOSED_CERTIFICATION_STATUSES
        held_open = held.status not in CLOSED_CERTIFICATION_STATUSES
        if candidate_open != held_open:
            return candidate_open
        minimum = datetime.date.min
        return (self.last_event_on.get(candidate.pk) or minimum, candidate.pk) > (
            self.last_event_on.get(held.pk) or minimum,
            held.pk,
        )

    def certification_figures(self, population: set[int], as_of: datetime.date) -> dict:
        counted = {pk for pk in population if self.members[pk].status != "withdrawn"}
        farms_in_scope = {pk for pk, farm in self.farms.items() if farm.member_id in counted}
        rows: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        for (farm_id, standard_id), certification in self.current_certifications().items():
            if farm_id in farms_in_scope:
                standard = self.standards[standard_id]
                status = certification.status
                if status in HOLDING_CERTIFICATE and certification.valid_until and certification.valid_until < as_of:
                    status = "expired"  # lapsed: expired by the calendar, whether or not the job has run
                rows[(standard.code, standard.name, status)].add(farm_id)
        certifications = sorted(
            ((code, name, status, len(farms)) for (code, name, status), farms in rows.items()),
            key=lambda row: (row[1], STATUS_ORDER.index(row[2])),
        )
        window_end = as_of + datetime.timedelta(days=EXPIRING_WITHIN_DAYS)
        expiring = sorted(
            (
                certification
                for certification in self.certifications
                if certification.farm_id in farms_in_scope
                and certification.status in HOLDING_CERTIFICATE
                and certification.valid_until is not None
                and as_of <= certification.valid_until <= window_end
            ),
            key=lambda certification: (certification.valid_until, certification.pk),
        )
        return {
            "certifications": certifications,
            "expiring_count": len(expiring),
            "expiring": [certification.pk for certification in expiring[:EXPIRING_LISTED]],
        }

    # -- credit -----------------------------------------------------------------------------------------------

    def balance(self, loan: Loan, as_of: datetime.date | None = None) -> dict:
        """Due, paid and outstanding of each component from the ledger, charges and schedule (as of a date)."""
        transactions = self.transactions[loan.pk]
        charges = self.charges[loan.pk]
        reversal_of_transaction = {row.reverses_id: row for row in transactions if row.kind == "reversal"}
        reversal_of_charge = {row.reverses_id: row for row in charges if row.kind == "reversal"}

        def counts(row, reversals) -> bool:
            if as_of is not None and row.occurred_on > as_of:
                return False
            reversal = reversals.get(row.pk)
            return reversal is None or (as_of is not None and reversal.occurred_on > as_of)

        disbursed = sum(
            (
                row.principal_portion
                for row in transactions
                if row.kind == "disbursement" and (as_of is None or row.occurred_on <= as_of)
            ),
            ZERO,
        )
        reducing = [row for row in transactions if row.kind in REDUCING_KINDS and counts(row, reversal_of_transaction)]
        in_force = [row for row in charges if row.kind in ("fee", "penalty") and counts(row, reversal_of_charge)]
        due = {
            "principal": disbursed,
            "interest": sum((row.interest_due for row in self.instalments[loan.pk]), ZERO),
            "fee": sum((row.amount for row in in_force if row.kind == "fee"), ZERO),
            "penalty": sum((row.amount for row in in_force if row.kind == "penalty"), ZERO),
        }
        paid = {
            component: sum((getattr(row, f"{component}_portion") for row in reducing), ZERO) for component in COMPONENTS
        }
        outstanding = {component: cents(due[component] - paid[component]) for component in COMPONENTS}
        return {
            "due": due,
            "paid": paid,
            "charges": in_force,
            "principal_outstanding": outstanding["principal"],
            "total_outstanding": cents(sum(outstanding.values(), ZERO)),
        }

    def days_past_due(self, loan: Loan, as_of: datetime.date, balance: dict | None = None) -> int:
        """Days since the oldest schedule row still unpaid beyond the arrears tolerance fell due (0: none)."""
        balance = balance or self.balance(loan, as_of)
        instalments = sorted(self.instalments[loan.pk], key=lambda row: (row.due_on, row.number))
        rows = [
            {
                "due_on": row.due_on,
                "principal": row.principal_due,
                "interest": row.interest_due,
                "fee": ZERO,
                "penalty": ZERO,
            }
            for row in instalments
        ]
        later: dict[datetime.date, dict] = {}
        for charge in balance["charges"]:
            target = next((row for row in rows[: len(instalments)] if row["due_on"] >= charge.due_on), None)
            if target is None:
                target = later.setdefault(
                    charge.due_on,
                    {"due_on": charge.due_on, "principal": ZERO, "interest": ZERO, "fee": ZERO, "penalty": ZERO},
                )
            target[charge.kind] += charge.amount
        rows += [later[day] for day in sorted(later)]
        remaining = dict(balance["paid"])
        tolerance = loan.arrears_tolerance or ZERO
        for row in rows:
            unpaid = ZERO
            for component in COMPONENTS:
                taken = max(min(remaining[component], row[component]), ZERO)
                remaining[component] -= taken
                unpaid += row[component] - taken
            if unpaid > tolerance:
                return max((as_of - row["due_on"]).days, 0)
        return 0

    def credit_figures(self, population: set[int], as_of: datetime.date) -> dict:
        active = [loan for loan in self.loans if loan.member_id in population and loan.status == "active"]
        total = principal = at_risk = ZERO
        late = 0
        for loan in active:
            balance = self.balance(loan)
            total += balance["total_outstanding"]
            principal += balance["principal_outstanding"]
            if self.days_past_due(loan, as_of, balance) > 30:
                late += 1
                at_risk += balance["principal_outstanding"]
        return {
            "active_loans": len(active),
            "total_outstanding": cents(total),
            "principal_outstanding": cents(principal),
            "loans_over_30_days": late,
            "par30": ratio(at_risk, principal),
        }

    def portfolio(self, *, as_of: datetime.date, region_ids: set[int], group_by: str) -> dict:
        """{label: (loans, principal, total, at_risk by PAR_DAYS)} plus "__total__", for the loans disbursed by
        `as_of` with something outstanding on that date."""
        groups: dict[str, list] = {}
        total = [0, ZERO, ZERO, dict.fromkeys(PAR_DAYS, ZERO)]
        for loan in self.loans:
            member = self.members[loan.member_id]
            if member.region_id not in region_ids or loan.disbursed_on is None or loan.disbursed_on > as_of:
                continue
            balance = self.balance(loan, as_of)
            if balance["total_outstanding"] <= 0:
                continue
            late_days = self.days_past_due(loan, as_of, balance)
            if group_by == "region":
                label = self.regions[member.region_id].name
            elif group_by == "product":
                label = loan.product.name
            elif loan.program_id is None:
                label = None
            else:
                program = self.programs[loan.program_id]
                label = f"{program.code} – {program.name}"
            for row in (groups.setdefault(label, [0, ZERO, ZERO, dict.fromkeys(PAR_DAYS, ZERO)]), total):
                row[0] += 1
                row[1] += balance["principal_outstanding"]
                row[2] += balance["total_outstanding"]
                for days in PAR_DAYS:
                    if late_days > days:
                        row[3][days] += balance["principal_outstanding"]
        groups["__total__"] = total
        return {
            label: (row[0], cents(row[1]), cents(row[2]), {days: cents(row[3][days]) for days in PAR_DAYS})
            for label, row in groups.items()
        }

    def par_report(self, as_of: datetime.date) -> dict[int, Decimal]:
        """PAR1/30/90 over every active loan now (credit.selectors.portfolio_at_risk_report)."""
        total = ZERO
        at_risk = dict.fromkeys(PAR_DAYS, ZERO)
        for loan in self.loans:
            if loan.status != "active":
                continue
            balance = self.balance(loan)
            total += balance["principal_outstanding"]
            late_days = self.days_past_due(loan, as_of, balance)
            for days in PAR_DAYS:
                if late_days > days:
                    at_risk[days] += balance["principal_outstanding"]
        return {days: ratio(at_risk[days], total) for days in PAR_DAYS}

    # -- programs --------------------------------------------------------------------------------------------

    def program_progress(
        self,
        program_ids: set[int],
        *,
        region_ids: set[int] | None = None,
        member_ids: set[int] | None = None,
        as_of: datetime.date,
    ) -> dict[str, tuple]:
        """{code: (enrolled, farmers certified, target certified, project beneficiaries, target beneficiaries)}."""
        result = {}
        for pk in program_ids:
            program = self.programs[pk]
            enrolled = {
                enrolment.member_id
                for enrolment in self.enrolments
                if enrolment.program_id == pk
                and enrolment.status == "active"
                and self.members[enrolment.member_id].status != "withdrawn"
                and (region_ids is None or self.members[enrolment.member_id].region_id in region_ids)
                and (member_ids is None or enrolment.member_id in member_ids)
            }
            certified = {
                self.farms[certification.farm_id].member_id
                for certification in self.certifications
                if self.farms[certification.farm_id].member_id in enrolled
                and self.farms[certification.farm_id].status == "active"
                and certification.status == "certified"
                and certification.standard_id in self.program_standards[pk]
                and (certification.valid_until is None or certification.valid_until >= as_of)
            }
            beneficiaries = sum(
                project.beneficiaries
                for project in self.projects
                if project.program_id == pk and (region_ids is None or project.region_id in region_ids)
            )
            result[program.code] = (
                len(enrolled),
                len(certified),
                program.target_farmers_certified,
                beneficiaries,
                program.target_beneficiaries,
            )
        return result

    # -- EUDR -----------------------------------------------------------------------------------------------

    def located(self, farm: Farm) -> bool:
        return (farm.boundary is not None and farm.boundary_area_ha is not None) or (
            farm.latitude is not None and farm.hectares <= POINT_MAX_HECTARES
        )

    def ready(self, farm: Farm) -> bool:
        area = farm.boundary_area_ha
        mismatch = area is not None and (
            area > farm.hectares * (1 + AREA_TOLERANCE) or area < farm.hectares * (1 - AREA_TOLERANCE)
        )
        overlaps = any(
            overlap.farm_id == farm.pk and self.farms[overlap.other_farm_id].status == "active"
            for overlap in self.overlaps
        )
        declaration = self.declarations.get(farm.pk)
        declared = declaration is not None and declaration.land_use_2020 != "forest"
        return self.located(farm) and farm.status == "active" and not mismatch and not overlaps and declared

    def eudr_readiness(self, member_ids: set[int], program_ids: set[int] | None) -> dict:
        """Active farms of active members among `member_ids`: totals, by the farm's region, by program (the
        member's active or completed enrolments, in `program_ids` when given)."""
        farms = [
            farm
            for farm in self.farms.values()
            if farm.status == "active"
            and farm.member_id in member_ids
            and self.members[farm.member_id].status == "active"
        ]
        by_region: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        by_program: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for farm in farms:
            figures = (1, int(self.located(farm)), int(self.ready(farm)))
            keys = [(by_region, self.regions[farm.region_id].name)]
            for enrolment in self.enrolments:
                if (
                    enrolment.member_id == farm.member_id
                    and enrolment.status in PARTNER_VISIBLE_ENROLMENTS
                    and (program_ids is None or enrolment.program_id in program_ids)
                ):
                    keys.append((by_program, self.programs[enrolment.program_id].code))
            for table, key in keys:
                for index, value in enumerate(figures):
                    table[key][index] += value
        return {
            "total": (
                sum(row[0] for row in by_region.values()),
                sum(row[1] for row in by_region.values()),
                sum(row[2] for row in by_region.values()),
            ),
            "by_region": sorted((key, *row) for key, row in by_region.items()),
            "by_program": sorted((key, *row) for key, row in by_program.items()),
        }

    # -- visits ---------------------------------------------------------------------------------------------

    def visits_by_purpose(self, population: set[int], as_of: datetime.date) -> list[tuple[str, int]]:
        first = as_of - datetime.timedelta(days=VISITS_WITHIN_DAYS - 1)
        counts: dict[str, int] = defaultdict(int)
        for visit in self.visits:
            if self.farms[visit.farm_id].member_id in population and first <= visit.visited_on <= as_of:
                counts[visit.purpose] += 1
        return [(purpose, counts[purpose]) for purpose in VISIT_PURPOSES]
