"""EUDR readiness figures: how many active farms of a set have a valid geolocation and are EUDR-ready, in
total, per region and per program (the dashboard, the map page and the API's summary)."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from cooperative.models import PARTNER_VISIBLE_ENROLMENTS, AllianceProgram, Region
from members.models import EudrStatus, Farm, Member


@dataclass(frozen=True)
class ReadinessRow:
    key: str  # the region's name, or the program's code
    label: str
    total: int  # active farms
    located: int  # with a valid geolocation
    ready: int  # EUDR-ready

    @property
    def ready_percent(self) -> int | None:
        return round(100 * self.ready / self.total) if self.total else None

    @property
    def located_percent(self) -> int | None:
        return round(100 * self.located / self.total) if self.total else None


@dataclass(frozen=True)
class EudrReadiness:
    total: int
    located: int
    ready: int
    by_region: list[ReadinessRow]
    by_program: list[ReadinessRow]

    @property
    def ready_percent(self) -> int | None:
        return round(100 * self.ready / self.total) if self.total else None

    @property
    def located_percent(self) -> int | None:
        return round(100 * self.located / self.total) if self.total else None


def eudr_readiness(
    *, farms_queryset: QuerySet[Farm], programs: QuerySet[AllianceProgram] | None = None
) -> EudrReadiness:
    """Active farms of `farms_queryset` with a valid geolocation and EUDR-ready, in total, per region
    (the farm's) and per program (the member's active or completed enrolments; only `programs` when
    given, e.g. a partner's own). Counts the stored status (Farm.eudr_status, indexed with the region and the
    farm's status). Cost: 2 queries (per region, per program; the totals are the regions' sum), whatever the
    number of farms."""
    farms = farms_queryset.filter(status=Farm.Status.ACTIVE).order_by()
    counts = {
        "total": Count("pk"),
        "located": Count("pk", filter=~Q(eudr_status=EudrStatus.MISSING_GEOMETRY)),
        "ready": Count("pk", filter=Q(eudr_status=EudrStatus.READY)),
    }
    by_region = [
        ReadinessRow(row["region__name"], row["region__name"], row["total"], row["located"], row["ready"])
        for row in farms.values("region__name").annotate(**counts).order_by("region__name")
    ]
    enrolments = Q(member__enrollments__status__in=PARTNER_VISIBLE_ENROLMENTS)
    if programs is not None:
        enrolments &= Q(member__enrollments__program__in=programs)
    program_rows = (
        farms.filter(enrolments)
        .values("member__enrollments__program__code", "member__enrollments__program__name")
        .annotate(**counts)
        .order_by("member__enrollments__program__code")
    )
    by_program = [
        ReadinessRow(
            row["member__enrollments__program__code"],
            row["member__enrollments__program__name"],
            row["total"],
            row["located"],
            row["ready"],
        )
        for row in program_rows
    ]
    return EudrReadiness(
        total=sum(row.total for row in by_region),
        located=sum(row.located for row in by_region),
        ready=sum(row.ready for row in by_region),
        by_region=by_region,
        by_program=by_program,
    )


def readiness_farms(*, regions: QuerySet[Region]) -> QuerySet[Farm]:
    """The farms the dashboard counts: those of active members of `regions` (lazy)."""
    return Farm.objects.filter(member__region__in=regions, member__status=Member.Status.ACTIVE)
