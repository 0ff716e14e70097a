"""Reads for the Internal Control System's reports: internal inspection coverage, group certificates running
out, and the farms of the audit pack.

Each selector owns its joins and aggregates, so its query count does not grow with its rows; the cost is
stated in each docstring. Scope: a farm belongs to the region of its member (as on the members list).
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from certifications.models import (
    CafeVerification,
    Certification,
    CertificationStatus,
    GroupCertificate,
    Inspection,
    NonConformity,
    Sanction,
    Standard,
    StandardCode,
)
from cooperative.models import Region
from members.models import Farm, Member

# The farms the yearly internal inspection must reach under a standard: those whose open certification is
# candidate, in conversion or certified (the "certified and candidate farms" of the ICS; a farm in
# conversion is a candidate on its way). A sanctioned or suspended certification is followed up through
# its sanction and non-conformities instead, so it is left out of the coverage.
COVERAGE_STATUSES = (CertificationStatus.CANDIDATE, CertificationStatus.IN_CONVERSION, CertificationStatus.CERTIFIED)
COVERAGE_MONTHS = 12
GROUP_CERTIFICATE_WARNING_DAYS = 60
GROUP_CERTIFICATE_EXPIRED_DAYS = 30
ONE_DECIMAL = Decimal("0.1")


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier, or the last day of that month when it is shorter (29 Feb -> 28 Feb)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _percent(part: int, whole: int) -> Decimal | None:
    """The share as a percentage with one decimal (half up); None when there is nothing to share."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


# -- inspection coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """Farms to inspect under a standard in one region, and how many were inspected within the window."""

    standard_code: str
    standard_name: str
    region: str
    farms: int
    inspected: int

    @property
    def not_inspected(self) -> int:
        return self.farms - self.inspected

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.inspected, self.farms)


@dataclass(frozen=True)
class StandardCoverage:
    """One standard's coverage: a row per region (by name) and the standard's totals."""

    standard_code: str
    standard_name: str
    regions: list[CoverageRow]

    @property
    def farms(self) -> int:
        return sum(row.farms for row in self.regions)

    @property
    def inspected(self) -> int:
        return sum(row.inspected for row in self.regions)

    @property
    def not_inspected(self) -> int:
        return self.farms - self.inspected

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.inspected, self.farms)


@dataclass(frozen=True)
class IcsCoverage:
    """Coverage on `as_of` of the internal inspections within the window (`first_day` to `as_of`, both in)."""

    as_of: datetime.date
    first_day: datetime.date
    standards: list[StandardCoverage]

    def standard(self, code: str) -> StandardCoverage | None:
        return next((row for row in self.standards if row.standard_code == code), None)


def ics_coverage(*, regions: QuerySet[Region], as_of: datetime.date | None = None) -> IcsCoverage:
    """For each standard and region, the active farms of active members whose open certification under the
    standard is candidate, in conversion or certified (COVERAGE_STATUSES), and how many of them had an
    internal inspection covering that standard (Inspection.standards) within the 12 months up to `as_of`
    (default: today): inspected_on after `as_of` minus 12 months and not after `as_of`. An inspection exactly
    12 months old (same day last year) is outside the window; the next day's is inside.

    A farm has at most one open certification per standard (a database constraint), so a certification row
    is a farm. The region is the member's; only `regions` (a lazy queryset, kept as a subquery) count.
    Standards by name, regions by name; only pairs with at least one farm appear.
    One GROUP BY query, whatever the number of farms and inspections.
    """
    as_of = as_of or timezone.localdate()
    since = months_before(as_of, COVERAGE_MONTHS)
    inspected = Inspection.objects.filter(
        farm=OuterRef("farm"),
        standards=OuterRef("standard"),
        inspected_on__gt=since,
        inspected_on__lte=as_of,
    )
    rows = (
        Certification.objects.filter(
            status__in=COVERAGE_STATUSES,
            farm__status=Farm.Status.ACTIVE,
            farm__member__status=Member.Status.ACTIVE,
            farm__member__region__in=regions,
        )
        .order_by()
        .values("standard__code", "standard__name", "farm__member__region__name")
        .annotate(farms=Count("pk"), inspected=Count("pk", filter=Q(Exists(inspected))))
    )
    by_standard: dict[str, StandardCoverage] = {}
    for row in sorted(rows, key=lambda row: (row["standard__name"], row["farm__member__region__name"])):
        code = row["standard__code"]
        if code not in by_standard:
            by_standard[code] = StandardCoverage(code, row["standard__name"], [])
        by_standard[code].regions.append(
            CoverageRow(code, row["standard__name"], row["farm__member__region__name"], row["farms"], row["inspected"])
        )
    return IcsCoverage(as_of=as_of, first_day=since + datetime.timedelta(days=1), standards=list(by_standard.values()))


# -- group certificates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCertificateWarning:
    """A group certificate that runs out soon (`days_left` >= 0: its last valid day is that many days away)
    or ran out recently (`expired`, `days_left` < 0)."""

    certificate: GroupCertificate
    as_of: datetime.date

    @property
    def expired(self) -> bool:
        return self.certificate.valid_until < self.as_of

    @property
    def days_left(self) -> int:
        return (self.certificate.valid_until - self.as_of).days

    @property
    def days_since_expiry(self) -> int:
        return -self.days_left


def group_certificates_expiring(
    *, as_of: datetime.date | None = None, days: int = GROUP_CERTIFICATE_WARNING_DAYS
) -> list[GroupCertificateWarning]:
    """Group certificates whose last valid day (valid_until) is between `as_of` (default: today) and `days`
    later, both included, plus those that already ran out within the 30 days before `as_of` (`expired`).

    A certificate for which a newer one of the same standard is recorded (starting and ending later) has
    been renewed and is left out. Cooperative-wide: group certificates belong to no region.
    Soonest first. One query, standard joined.
    """
    as_of = as_of or timezone.localdate()
    renewed = GroupCertificate.objects.filter(
        standard=OuterRef("standard"), valid_from__gt=OuterRef("valid_from"), valid_until__gt=OuterRef("valid_until")
    )
    certificates = (
        GroupCertificate.objects.filter(
            valid_until__gte=as_of - datetime.timedelta(days=GROUP_CERTIFICATE_EXPIRED_DAYS),
            valid_until__lte=as_of + datetime.timedelta(days=days),
        )
        .exclude(Exists(renewed))
        .select_related("standard")
        .order_by("valid_until", "standard__name", "number")
    )
    return [GroupCertificateWarning(certificate, as_of) for certificate in certificates]


# -- audit pack -------------------------------------------------------------------------------------------


def audit_pack_standards() -> list[Standard]:
    """The standards of the audit pack's columns: those accepting new certifications (Organic, Rainforest
    Alliance, C.A.F.E. Practices), then the retired ones kept as history (UTZ). One query."""
    order = {code: index for index, code in enumerate(StandardCode.values)}
    standards = list(Standard.objects.order_by("pk"))
    standards.sort(key=lambda standard: (not standard.accepts_new_certifications, order.get(standard.code, 99)))
    return standards


def active_sanctions_q(as_of: datetime.date) -> Q:
    """Sanctions in force on `as_of`: started, and not ended before that day."""
    return Q(starts_on__lte=as_of) & (Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))


def _farm_count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("farm").annotate(total=Count("pk")).values("total")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def audit_pack_farms(*, regions: QuerySet[Region], as_of: datetime.date | None = None) -> QuerySet[Farm]:
    """The active farms of active members of `regions` that have a certification (open or closed), by member
    code and farm name, with member and farm region joined, and:

    - `last_inspected_on`, `last_inspection_raised` (whether the farm's latest internal inspection raised a
      non-conformity; None without inspection);
    - `open_non_conformities`, `open_critical_non_conformities` (not closed, any standard);
    - `cafe_tier` (tier of the latest C.A.F.E. Practices verification, or None);
    - `certification_list`: every certification of the farm, each with `active_sanctions` (in force on
      `as_of`, default today) — see current_by_standard().

    Lazy. Read with iterator(chunk_size=...): three queries per chunk (farms with their annotations as
    correlated subqueries, their certifications, those certifications' sanctions in force).
    """
    as_of = as_of or timezone.localdate()
    latest_inspection = Inspection.objects.filter(farm=OuterRef("pk")).order_by("-inspected_on", "-pk")
    raised = latest_inspection.annotate(raised=Exists(NonConformity.objects.filter(inspection=OuterRef("pk"))))
    open_ncs = NonConformity.objects.filter(farm=OuterRef("pk"), closed_on__isnull=True)
    latest_verification = CafeVerification.objects.filter(certification__farm=OuterRef("pk")).order_by(
        "-verified_on", "-pk"
    )
    sanctions = Sanction.objects.filter(active_sanctions_q(as_of)).order_by("starts_on", "pk")
    certifications = Certification.objects.order_by("pk").prefetch_related(
        Prefetch("sanctions", queryset=sanctions, to_attr="active_sanctions")
    )
    return (
        Farm.objects.filter(
            status=Farm.Status.ACTIVE,
            member__status=Member.Status.ACTIVE,
            member__region__in=regions,
        )
        .filter(Exists(Certification.objects.filter(farm=OuterRef("pk"))))
        .select_related("member", "region")
        .annotate(
            last_inspected_on=Subquery(latest_inspection.values("inspected_on")[:1]),
            last_inspection_raised=Subquery(raised.values("raised")[:1], output_field=BooleanField()),
            open_non_conformities=_farm_count(open_ncs),
            open_critical_non_conformities=_farm_count(open_ncs.filter(severity=NonConformity.Severity.CRITICAL)),
            cafe_tier=Subquery(latest_verification.values("tier")[:1]),
        )
        .prefetch_related(Prefetch("certifications", queryset=certifications, to_attr="certification_list"))
        .order_by("member__code", "name", "pk")
    )


def current_by_standard(certifications: list[Certification]) -> dict[int, Certification]:
    """A farm's current certification under each standard (`is_current`, the read model of
    current_certifications), keyed by standard id. No query."""
    return {certification.standard_id: certification for certification in certifications if certification.is_current}
