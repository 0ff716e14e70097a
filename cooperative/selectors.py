"""Reads for the core domain: the regions a staff user may see, program progress and the dashboard figures.

Each selector owns its joins and aggregates, so its query count does not grow with its rows.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from certifications.models import OPEN_STATUSES, Certification, CertificationEvent, CertificationStatus
from certifications.selectors import certifications_expiring, certified_farm_counts
from cooperative.models import AllianceProgram, CommunityProject, Crop, ProgramEnrollment, Region, StaffRole
from credit.models import Loan, LoanStatus
from credit.selectors import annotate_balances, par_ratio
from members.models import Farm, FarmVisit, Gender, Member


def regions_in_scope(user: AbstractBaseUser, roles: str | Iterable[str] | None = None) -> QuerySet[Region]:
    """Regions covered by the user's roles (one role, several, or any). Superusers see every region.

    One query to learn whether a role covers all regions; the result is a lazy queryset usable as a
    subquery (``region__in=regions_in_scope(user)``).
    """
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    grants = StaffRole.objects.filter(user=user)
    if roles is not None:
        grants = grants.filter(role__in=[roles] if isinstance(roles, str) else list(roles))
    if grants.filter(all_regions=True).exists():
        return Region.objects.all()
    return Region.objects.filter(staff_roles__in=grants).distinct()


def technicians_covering(regions: QuerySet[Region]) -> QuerySet[AbstractBaseUser]:
    """Users holding the technician role for one of `regions` (or for all regions), by name. Lazy: one
    query when read, `regions` staying a subquery."""
    grants = StaffRole.objects.filter(user=OuterRef("pk"), role=StaffRole.Role.TECHNICIAN).filter(
        Q(all_regions=True) | Q(regions__in=regions)
    )
    return get_user_model().objects.filter(Exists(grants)).order_by("first_name", "last_name", "username")


# -- alliance programs --------------------------------------------------------------------------------


def programs_in_scope(regions: QuerySet[Region]) -> QuerySet[AllianceProgram]:
    """Programs covering at least one of `regions` (lazy; no duplicates, no DISTINCT needed)."""
    overlap = AllianceProgram.regions.through.objects.filter(allianceprogram=OuterRef("pk"), region__in=regions)
    return AllianceProgram.objects.filter(Exists(overlap))


def _capped_percent(achieved: int, target: int) -> int | None:
    """Whole percent of the target reached, at most 100 (for a progress bar); None without a target."""
    if target <= 0:
        return None
    return min(100, achieved * 100 // target)


@dataclass(frozen=True)
class ProgramProgress:
    """A program's progress against its targets, computed from the records (never stored)."""

    program: AllianceProgram
    enrolled_members: int
    farmers_certified: int
    target_farmers_certified: int
    project_beneficiaries: int
    target_beneficiaries: int

    @property
    def crop_labels(self) -> list[str]:
        return [label for value, label in Crop.choices if value in self.program.crops]

    @property
    def beneficiaries(self) -> int:
        """Enrolled members plus the beneficiaries of the program's community projects."""
        return self.enrolled_members + self.project_beneficiaries

    @property
    def certified_percent(self) -> int | None:
        return _capped_percent(self.farmers_certified, self.target_farmers_certified)

    @property
    def beneficiaries_percent(self) -> int | None:
        return _capped_percent(self.beneficiaries, self.target_beneficiaries)


def _count_by_program(queryset: QuerySet, counted: Sum | Count) -> dict[int, int]:
    rows = queryset.order_by().values("program").annotate(total=counted).values_list("program", "total")
    return {program_id: total or 0 for program_id, total in rows}


def program_progress(
    programs: QuerySet[AllianceProgram],
    *,
    regions: QuerySet[Region] | None = None,
    members: QuerySet[Member] | None = None,
    as_of: datetime.date | None = None,
) -> list[ProgramProgress]:
    """Each program's enrolments, certified farmers and beneficiaries against its targets.

    - enrolled members: members with an active enrolment who have not withdrawn from the cooperative;
    - farmers certified: those enrolled members with at least one active farm whose certification under
      one of the program's targeted standards is "certified" with a certificate still valid on `as_of`
      (default: today in the cooperative's time zone). Expiry is not written on schedule, so a lapsed
      certificate can still read "certified": its validity decides.
    - beneficiaries: enrolled members + the beneficiaries of the program's community projects.

    With `regions`, only members (and community projects) in those regions count: a manager sees the
    part of a program that lies in the regions they cover; the targets stay the program's own.
    With `members` (a lazy queryset, used as a subquery), only those members' enrolments count; community
    projects, which have regions but no members, still count by `regions`.
    Six queries whatever the number of programs: the programs (partner joined), their regions and
    standards (prefetched), then one GROUP BY each for enrolments, certified farmers and projects.
    Programs keep the queryset's order.
    """
    program_list = list(programs.select_related("partner").prefetch_related("regions", "standards"))
    if not program_list:
        return []
    ids = [program.pk for program in program_list]
    as_of = as_of or timezone.localdate()
    enrolments = ProgramEnrollment.objects.filter(program__in=ids, status=ProgramEnrollment.Status.ACTIVE).exclude(
        member__status=Member.Status.WITHDRAWN
    )
    projects = CommunityProject.objects.filter(program__in=ids)
    if regions is not None:
        enrolments = enrolments.filter(member__region__in=regions)
        projects = projects.filter(region__in=regions)
    if members is not None:
        enrolments = enrolments.filter(member__in=members)
    enrolled = _count_by_program(enrolments, Count("member", distinct=True))
    # "certified" is an open status and a farm has at most one open certification per standard, which is
    # its current one: no need for current_certifications() here. One filter() call, so the farm, its
    # certification and the targeted standard are the same rows.
    certified = _count_by_program(
        enrolments.filter(
            Q(member__farms__certifications__valid_until__isnull=True)
            | Q(member__farms__certifications__valid_until__gte=as_of),
            member__farms__status=Farm.Status.ACTIVE,
            member__farms__certifications__status=CertificationStatus.CERTIFIED,
            member__farms__certifications__standard__programs=F("program"),
        ),
        Count("member", distinct=True),
    )
    beneficiaries = _count_by_program(projects, Sum("beneficiaries"))
    return [
        ProgramProgress(
            program=program,
            enrolled_members=enrolled.get(program.pk, 0),
            farmers_certified=certified.get(program.pk, 0),
            target_farmers_certified=program.target_farmers_certified,
            project_beneficiaries=beneficiaries.get(program.pk, 0),
            target_beneficiaries=program.target_beneficiaries,
        )
        for program in program_list
    ]


def program_enrolments(program: AllianceProgram, *, regions: QuerySet[Region]) -> QuerySet[ProgramEnrollment]:
    """The program's enrolments (any status) of members in `regions`, member and region joined, by code."""
    return (
        ProgramEnrollment.objects.filter(program=program, member__region__in=regions)
        .select_related("member__region")
        .order_by("member__code")
    )


def members_to_enrol(
    program: AllianceProgram, *, region: Region, crop: str = "", community: str = ""
) -> QuerySet[Member]:
    """Active members of `region` not yet enrolled in the program (under any status), ordered by code.

    `crop`: only members farming it on an active farm; `community`: part of the member's community name
    (case-insensitive). Lazy; no DISTINCT needed.
    """
    members = Member.objects.filter(status=Member.Status.ACTIVE, region=region).exclude(
        Exists(ProgramEnrollment.objects.filter(program=program, member=OuterRef("pk")))
    )
    if crop:
        members = members.filter(
            Exists(Farm.objects.filter(member=OuterRef("pk"), crop=crop, status=Farm.Status.ACTIVE))
        )
    if community:
        members = members.filter(community__icontains=community)
    return members.select_related("region").order_by("code")


# -- certifications -------------------------------------------------------------------------------


def _with_last_event_key(queryset: QuerySet[Certification]) -> QuerySet[Certification]:
    """Annotate `last_event_key`: the date of the latest event, or date.min for a certification without."""
    last_event = (
        CertificationEvent.objects.filter(certification=OuterRef("pk")).order_by("-occurred_on").values("occurred_on")
    )
    return queryset.annotate(
        last_event_key=Coalesce(
            Subquery(last_event[:1], output_field=DateField()), Value(datetime.date.min), output_field=DateField()
        )
    )


def current_certifications(queryset: QuerySet[Certification] | None = None) -> QuerySet[Certification]:
    """The current certification of each farm under each standard, in SQL (lazy, usable in GROUP BY).

    Same rule as certifications.selectors.farm_current_certifications: the open certification if there
    is one (at most one per farm and standard, a database constraint), otherwise the closed one with the
    latest event (ties: the latest created). Correlated subqueries; no row is loaded to decide.
    """
    if queryset is None:
        queryset = Certification.objects.all()
    siblings = Certification.objects.filter(farm=OuterRef("farm"), standard=OuterRef("standard")).exclude(
        pk=OuterRef("pk")
    )
    open_sibling = siblings.filter(status__in=OPEN_STATUSES)
    later_closed_sibling = _with_last_event_key(siblings.exclude(status__in=OPEN_STATUSES)).filter(
        Q(last_event_key__gt=OuterRef("last_event_key"))
        | Q(last_event_key=OuterRef("last_event_key"), pk__gt=OuterRef("pk"))
    )
    return _with_last_event_key(queryset).filter(
        Q(status__in=OPEN_STATUSES) | (~Exists(open_sibling) & ~Exists(later_closed_sibling))
    )


# -- dashboard ------------------------------------------------------------------------------------

KG_PER_QUINTAL = Decimal("46")  # quintal (qq) of parchment coffee
KG_PER_EXPORT_BAG = Decimal("69")  # Peruvian export bag
HUNDREDTHS = Decimal("0.01")
ZERO = Decimal("0.00")
EXPIRING_WITHIN_DAYS = 60
EXPIRING_LISTED = 10
OVERDUE_DAYS = 30
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
    """One query: the active loans' ledger balances summed in SQL, the late ones told apart by
    Loan.oldest_unpaid_due_on (kept by the credit services; fees and penalties count)."""
    late = Q(oldest_unpaid_due_on__lt=as_of - datetime.timedelta(days=OVERDUE_DAYS))
    money = DecimalField(max_digits=16, decimal_places=2)
    totals = annotate_balances(loans.filter(status=LoanStatus.ACTIVE).order_by()).aggregate(
        active_loans=Count("pk"),
        late_loans=Count("pk", filter=late),
        total=Coalesce(Sum("total_outstanding", output_field=money), ZERO, output_field=money),
        principal=Coalesce(Sum("principal_outstanding", output_field=money), ZERO, output_field=money),
        at_risk=Coalesce(Sum("principal_outstanding", filter=late, output_field=money), ZERO, output_field=money),
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
    visits by purpose (1, see visits_by_purpose; none and an empty list without `with_visits`: the views
    keep the other figures in the figures cache, and count the visits, written all day by the field app,
    on every request). Without `with_dashboard_only`, the figures only the dashboard shows are left empty
    (the expiring certificates and the program progress, 8 queries): the summary report has none of them.
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
        for row in certified_farm_counts(current_certifications(in_scope_certifications))
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
