"""Reads for certifications. Each selector owns its joins, so its query count does not grow with its rows."""

import datetime
from typing import TypedDict

from django.db.models import Count, DateField, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from certifications.models import OPEN_STATUSES, Certification, CertificationEvent, CertificationStatus
from members.models import Farm

# Statuses under which the farm holds a certificate with a validity period.
HOLDING_CERTIFICATE = (CertificationStatus.CERTIFIED, CertificationStatus.SANCTIONED, CertificationStatus.SUSPENDED)
STATUS_ORDER = {status: index for index, status in enumerate(CertificationStatus.values)}


class FarmCountRow(TypedDict):
    standard_code: str
    standard_name: str
    status: str
    farms: int


def certifications_for_list(queryset: QuerySet[Certification] | None = None) -> QuerySet[Certification]:
    """Certifications with their farm, member, region and standard joined: one query however many rows."""
    if queryset is None:
        queryset = Certification.objects.all()
    return queryset.select_related("farm__member", "farm__region", "standard")


def certified_farm_counts(queryset: QuerySet[Certification] | None = None) -> list[FarmCountRow]:
    """How many distinct farms are in each status under each standard: one GROUP BY query.

    Rows come ordered by standard name, then by status in lifecycle order (candidate first).
    """
    if queryset is None:
        queryset = Certification.objects.all()
    rows = (
        queryset.order_by()
        .values("standard__code", "standard__name", "status")
        .annotate(farms=Count("farm", distinct=True))
    )
    result = [
        FarmCountRow(
            standard_code=row["standard__code"],
            standard_name=row["standard__name"],
            status=row["status"],
            farms=row["farms"],
        )
        for row in rows
    ]
    result.sort(key=lambda row: (row["standard_name"], STATUS_ORDER[row["status"]]))
    return result


def certifications_expiring(
    *,
    within_days: int = 60,
    as_of: datetime.date | None = None,
    queryset: QuerySet[Certification] | None = None,
) -> QuerySet[Certification]:
    """Certificates still held whose validity ends between as_of (default today) and within_days later.

    Ordered by end of validity, soonest first; joins as certifications_for_list (one query).
    """
    as_of = as_of or timezone.localdate()
    return (
        certifications_for_list(queryset)
        .filter(
            status__in=HOLDING_CERTIFICATE,
            valid_until__gte=as_of,
            valid_until__lte=as_of + datetime.timedelta(days=within_days),
        )
        .order_by("valid_until", "pk")
    )


def farm_current_certifications(*, farm: Farm) -> dict[str, Certification]:
    """The current certification of a farm under each standard, keyed by standard code: one query.

    The open certification if there is one, otherwise the closed one whose last event is the latest.
    Standards the farm was never under are absent. Each certification has `last_event_on` annotated.
    """
    certifications = (
        Certification.objects.filter(farm=farm)
        .select_related("standard")
        .annotate(last_event_on=Max("events__occurred_on"))
        .order_by("pk")
    )
    current: dict[str, Certification] = {}
    for certification in certifications:
        code = certification.standard.code
        held = current.get(code)
        if held is None or is_more_current(certification, than=held):
            current[code] = certification
    return current


def is_more_current(candidate: Certification, *, than: Certification) -> bool:
    """Whether `candidate` is a farm's current certification rather than `than` (same farm and standard): an
    open one wins over a closed one, then the one with the latest event (`last_event_on`), then the latest
    created. No query."""
    candidate_open, held_open = candidate.status in OPEN_STATUSES, than.status in OPEN_STATUSES
    if candidate_open != held_open:
        return candidate_open
    minimum = datetime.date.min
    return (candidate.last_event_on or minimum, candidate.pk) > (than.last_event_on or minimum, than.pk)


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

    Same rule as farm_current_certifications: the open certification if there
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
