"""Reads for certifications. Each selector owns its joins, so its query count does not grow with its rows."""

import datetime
from typing import TypedDict

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
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


def certified_farm_counts(
    queryset: QuerySet[Certification] | None = None, *, as_of: datetime.date | None = None
) -> list[FarmCountRow]:
    """How many distinct farms are in each status under each standard: one GROUP BY query.

    With `as_of`, a certificate held (certified, sanctioned, suspended) whose validity ended before that day
    counts as expired, whether or not `expire_certifications` has recorded the expiry yet: the status follows
    the calendar (a date comparison at read time), not a flag that goes stale overnight.
    Rows come ordered by standard name, then by status in lifecycle order (candidate first).
    """
    if queryset is None:
        queryset = Certification.objects.all()
    status = F("status")
    if as_of is not None:
        status = Case(
            When(status__in=HOLDING_CERTIFICATE, valid_until__lt=as_of, then=Value(CertificationStatus.EXPIRED)),
            default=F("status"),
            output_field=CharField(),
        )
    rows = (
        queryset.order_by()
        .annotate(shown_status=status)
        .values("standard__code", "standard__name", "shown_status")
        .annotate(farms=Count("farm", distinct=True))
    )
    result = [
        FarmCountRow(
            standard_code=row["standard__code"],
            standard_name=row["standard__name"],
            status=row["shown_status"],
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
    """The current certification of a farm under each standard (`is_current`), keyed by standard code: one
    query. Standards the farm was never under are absent. Each certification has `last_event_on` annotated."""
    certifications = current_certifications(Certification.objects.filter(farm=farm)).select_related("standard")
    return {
        certification.standard.code: certification
        for certification in certifications.annotate(last_event_on=Max("events__occurred_on"))
    }


def current_certifications(queryset: QuerySet[Certification] | None = None) -> QuerySet[Certification]:
    """The current certification of each farm under each standard (lazy, usable in GROUP BY): the stored
    read model `is_current`, which the certification services keep equal to current_certifications_by_events
    and certifications.read_models reconciles with it. A filter on a partially indexed column."""
    if queryset is None:
        queryset = Certification.objects.all()
    return queryset.filter(is_current=True)


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


def _is_current_by_events() -> Q:
    """The rule, as a condition on a queryset annotated by _with_last_event_key: the open certification (at
    most one per farm and standard, a database constraint), otherwise the closed one with the latest event
    (ties: the latest created)."""
    siblings = Certification.objects.filter(farm=OuterRef("farm"), standard=OuterRef("standard")).exclude(
        pk=OuterRef("pk")
    )
    open_sibling = siblings.filter(status__in=OPEN_STATUSES)
    later_closed_sibling = _with_last_event_key(siblings.exclude(status__in=OPEN_STATUSES)).filter(
        Q(last_event_key__gt=OuterRef("last_event_key"))
        | Q(last_event_key=OuterRef("last_event_key"), pk__gt=OuterRef("pk"))
    )
    return Q(status__in=OPEN_STATUSES) | (~Exists(open_sibling) & ~Exists(later_closed_sibling))


def current_certifications_by_events(queryset: QuerySet[Certification] | None = None) -> QuerySet[Certification]:
    """The current certification of each farm under each standard decided from the statuses and the event
    log: the source of truth of `is_current` (certifications.read_models refreshes and reconciles it with
    this). Lazy; correlated subqueries, no row is loaded to decide (about 1 s over all 332,000
    certifications, a few milliseconds for one farm and standard)."""
    if queryset is None:
        queryset = Certification.objects.all()
    return _with_last_event_key(queryset).filter(_is_current_by_events())


def certifications_differing_from_events() -> QuerySet[Certification]:
    """Certifications whose stored `is_current` is not what current_certifications_by_events decides: flagged
    but not current by the events, or current by the events but not flagged. Lazy; one pass over the table
    with the rule's correlated subqueries."""
    rule = _is_current_by_events()
    return _with_last_event_key(Certification.objects.all()).filter(
        (Q(is_current=True) & ~rule) | (Q(is_current=False) & rule)
    )
