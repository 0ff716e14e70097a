"""The dashboard's figures across members, certifications and credit, for a manager's regions or a
partner's population (the partner report reuses them, so both count the same way). Each figure is one
aggregate query, so the query count does not grow with the rows.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from certifications.models import Certification, CertificationStatus
from certifications.selectors.certifications import (
    certifications_expiring,
    certified_farm_counts,
    current_certifications,
)
from cooperative.models import Crop, Region
from cooperative.selectors import programs_in_scope
from credit.models import Loan, LoanStatus
from credit.selectors import is_past_due_q, par_ratio
from members.models import Farm, FarmVisit, Gender, Member
from reporting.programs import ProgramProgress, program_progress

# -- dashboard ------------------------------------------------------------------------------------

KG_PER_QUINTAL = Decimal("46")  # quintal (qq) of parchment coffee
KG_PER_EXPORT_BAG = Decimal("69")  # Peruvian export bag
HUNDREDTHS = Decimal("0.01")
ZERO = Decimal("0.00")
EXPIRING_WITHIN_DAYS = 60
EXPIRING_LISTED = 10
OVERDUE_DAYS = 30  # loans more than 30 days past due, and PAR30
VISITS_WITHIN_DAYS = 30


@dataclass(frozen=True)
class RegionCount:
    region: str
    members: int


@dataclass(frozen=True)
class GenderCount:
    gender: str
    label: str
    members: int


@dataclass(frozen=True)
class CropFigures:
    """Active farms of active members growing the crop. A member farming both crops counts under each."""

    crop: str
    label: str
    members: int
    farms: int
    hectares: Decimal
    production_kg: Decimal

    @property
    def production_quintales(self) -> Decimal:
        return (self.production_kg / KG_PER_QUINTAL).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP)

    @property
    def production_export_bags(self) -> Decimal:
        return (self.production_kg / KG_PER_EXPORT_BAG).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CertificationCount:
    """Farms whose current certification under the standard is in the status."""

    standard_code: str
    standard_name: str
    status: str
    status_label: str
    farms: int


@dataclass(frozen=True)
class CertificationTableRow:
    standard_code: str
    standard_name: str
    farms_by_status: list[int]


@dataclass(frozen=True)
class CreditFigures:
    """Active (disbursed) loans. Money in S/; par30 is a Decimal fraction (0.1250 = 12.5 %)."""

    active_loans: int
    total_outstanding: Decimal
    principal_outstanding: Decimal
    loans_over_30_days: int
    par30: Decimal

    @property
    def par30_percent(self) -> Decimal:
        return (self.par30 * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VisitCount:
    purpose: str
    label: str
    visits: int


@dataclass(frozen=True)
class DashboardFigures:
    as_of: datetime.date
    members_by_region: list[RegionCount]
    members_by_gender: list[GenderCount]
    crops: list[CropFigures]
    certifications: list[CertificationCount]
    expiring_count: int
    expiring: list[Certification]
    credit: CreditFigures
    programs: list[ProgramProgress]
    visits_by_purpose: list[VisitCount]

    @property
    def active_members(self) -> int:
        return sum(row.members for row in self.members_by_region)

    @property
    def hectares(self) -> Decimal:
        return sum((row.hectares for row in self.crops), ZERO)

    @property
    def visits(self) -> int:
        return sum(row.visits for row in self.visits_by_purpose)

    @property
    def certification_statuses(self) -> list[tuple[str, str]]:
        """(status, label) of the statuses that occur, in lifecycle order: the columns of the table."""
        present = {row.status for row in self.certifications}
        return [(status, label) for status, label in CertificationStatus.choices if status in present]

    @property
    def certification_table(self) -> list[CertificationTableRow]:
        """One row per standard, with its farm count under each of `certification_statuses`."""
        statuses = [status for status, _label in self.certification_statuses]
        table: dict[str, CertificationTableRow] = {}
        for row in self.certifications:
            if row.standard_code not in table:
                table[row.standard_code] = CertificationTableRow(
                    row.standard_code, row.standard_name, [0] * len(statuses)
                )
            table[row.standard_code].farms_by_status[statuses.index(row.status)] = row.farms
        return list(table.values())

    def certified_farms(self, standard_code: str) -> int:
        return sum(
            row.farms
            for row in self.certifications
            if row.standard_code == standard_code and row.status == CertificationStatus.CERTIFIED
        )


def _credit_figures(loans: QuerySet[Loan], as_of: datetime.date) -> CreditFigures:
    """One query: the active loans' stored balances (Loan.outstanding_*, kept equal to the ledger by the
    credit services: credit.read_models) summed in SQL, the late ones (more than OVERDUE_DAYS days past due:
    credit.selectors.is_past_due_q) told apart by Loan.oldest_unpaid_due_on (kept the same way; fees and
    penalties count)."""
    late = is_past_due_q(as_of=as_of, more_than=OVERDUE_DAYS)
    money = DecimalField(max_digits=16, decimal_places=2)
    totals = (
        loans.filter(status=LoanStatus.ACTIVE)
        .order_by()
        .aggregate(
            active_loans=Count("pk"),
            late_loans=Count("pk", filter=late),
            total=Coalesce(Sum("outstanding_total", output_field=money), ZERO, output_field=money),
            principal=Coalesce(Sum("outstanding_principal", output_field=money), ZERO, output_field=money),
            at_risk=Coalesce(Sum("outstanding_principal", filter=late, output_field=money), ZERO, output_field=money),
        )
    )
    principal = _cents(totals["principal"])
    return CreditFigures(
        active_loans=totals["active_loans"],
        total_outstanding=_cents(totals["total"]),
        principal_outstanding=principal,
        loans_over_30_days=totals["late_loans"],
        par30=par_ratio(_cents(totals["at_risk"]), principal),
    )


def dashboard_figures(
    *,
    regions: QuerySet[Region],
    as_of: datetime.date,
    members: QuerySet[Member] | None = None,
    visits_period: tuple[datetime.date, datetime.date] | None = None,
    with_visits: bool = True,
    with_dashboard_only: bool = True,
) -> DashboardFigures:
    """Every figure of the dashboard (and the partner API), for members of `regions`.

    Members, farms, certifications, loans and visits count when the member belongs to one of `regions`
    and, with `members` (a lazy queryset such as a partner's enrolled members), is one of them too;
    community project beneficiaries, which belong to no member, count by `regions` only.
    `as_of` (the cooperative's local date) sets the windows: certificates expiring within 60 days,
    days past due, visits in the last 30 days (as_of included) unless `visits_period` (first and last
    day, both included) says otherwise; the rest is the records' current state.
    Money and areas are Decimal. 14 queries whatever the number of rows, with `regions` (a lazy
    queryset, e.g. regions_in_scope(user)) and `members` as subqueries of each: members by region and by
    gender (2), farms by crop (1), current certifications by standard and status (1), expiring
    certificates (count and the soonest 10: 2), credit (1, see _credit_figures), program progress (6),
    visits by purpose (1, see visits_by_purpose; none and an empty list without `with_visits`). Nothing is
    cached: every figure is an aggregate over stored columns (the read models of cooperative.read_models:
    current certifications, loan balances), computed on each call. A certificate held past its validity
    counts as expired (certified_farm_counts with `as_of`). Without `with_dashboard_only`, the figures only the
    dashboard shows are left empty (the expiring certificates and the program progress, 8 queries): the summary
    report has none of them.
    """
    population = _population(regions, members)
    active = population.filter(status=Member.Status.ACTIVE).order_by()

    by_region = active.values("region__name").annotate(members=Count("pk")).order_by("region__name")
    members_by_region = [RegionCount(row["region__name"], row["members"]) for row in by_region]

    genders = dict(active.values("gender").annotate(members=Count("pk")).values_list("gender", "members"))
    members_by_gender = [GenderCount(value, label, genders.get(value, 0)) for value, label in Gender.choices]

    area = DecimalField(max_digits=14, decimal_places=2)
    crop_rows = {
        row["crop"]: row
        for row in Farm.objects.filter(status=Farm.Status.ACTIVE, member__in=active)
        .order_by()
        .values("crop")
        .annotate(
            members=Count("member", distinct=True),
            farms=Count("pk"),
            hectares=Coalesce(Sum("hectares", output_field=area), ZERO, output_field=area),
            production_kg=Coalesce(Sum("estimated_production_kg", output_field=area), ZERO, output_field=area),
        )
    }
    crops = [
        CropFigures(
            crop=value,
            label=label,
            members=crop_rows.get(value, {}).get("members", 0),
            farms=crop_rows.get(value, {}).get("farms", 0),
            hectares=_cents(crop_rows.get(value, {}).get("hectares", ZERO)),
            production_kg=_cents(crop_rows.get(value, {}).get("production_kg", ZERO)),
        )
        for value, label in Crop.choices
    ]

    # A withdrawn member's certifications stay on record but no longer count (as for every other figure).
    in_scope_certifications = Certification.objects.filter(
        farm__member__in=population.exclude(status=Member.Status.WITHDRAWN)
    )
    status_labels = dict(CertificationStatus.choices)
    certifications = [
        CertificationCount(
            standard_code=row["standard_code"],
            standard_name=row["standard_name"],
            status=row["status"],
            status_label=status_labels[row["status"]],
            farms=row["farms"],
        )
        for row in certified_farm_counts(current_certifications(in_scope_certifications), as_of=as_of)
    ]
    expiring = certifications_expiring(within_days=EXPIRING_WITHIN_DAYS, as_of=as_of, queryset=in_scope_certifications)

    return DashboardFigures(
        as_of=as_of,
        members_by_region=members_by_region,
        members_by_gender=members_by_gender,
        crops=crops,
        certifications=certifications,
        expiring_count=expiring.count() if with_dashboard_only else 0,
        expiring=list(expiring[:EXPIRING_LISTED]) if with_dashboard_only else [],
        credit=_credit_figures(Loan.objects.filter(member__in=population), as_of),
        programs=(
            program_progress(programs_in_scope(regions), regions=regions, members=members, as_of=as_of)
            if with_dashboard_only
            else []
        ),
        visits_by_purpose=(
            visits_by_purpose(regions=regions, members=members, period=visits_period or default_visits_period(as_of))
            if with_visits
            else []
        ),
    )


def _population(regions: QuerySet[Region], members: QuerySet[Member] | None) -> QuerySet[Member]:
    """Members of `regions` and, with `members`, among them (lazy)."""
    population = Member.objects.filter(region__in=regions)
    if members is not None:
        population = population.filter(pk__in=members.values("pk"))
    return population


def default_visits_period(as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 30 days up to `as_of`, both included."""
    return (as_of - datetime.timedelta(days=VISITS_WITHIN_DAYS - 1), as_of)


def visits_by_purpose(
    *,
    regions: QuerySet[Region],
    period: tuple[datetime.date, datetime.date],
    members: QuerySet[Member] | None = None,
) -> list[VisitCount]:
    """Farm visits in `period` (first and last day included) to farms of the members of `regions` (and of
    `members`), by purpose, every purpose listed. One query."""
    counts = dict(
        FarmVisit.objects.filter(farm__member__in=_population(regions, members), visited_on__range=period)
        .order_by()
        .values("purpose")
        .annotate(visits=Count("*"))  # no id: the index on (visited_on, farm, purpose) alone answers
        .values_list("purpose", "visits")
    )
    return [VisitCount(value, label, counts.get(value, 0)) for value, label in FarmVisit.Purpose.choices]


def _cents(value: Decimal) -> Decimal:
    """SQLite sums decimals in floating point: bring a sum back to exact hundredths."""
    return Decimal(value).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP)
